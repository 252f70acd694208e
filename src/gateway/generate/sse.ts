import type { ServerResponse } from "node:http";

/** Headers of an event stream: not cached, not buffered by proxies (nginx reads X-Accel-Buffering). */
export function sseHeaders(requestId: string, draining: boolean): Record<string, string> {
  return {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
    "x-request-id": requestId,
    ...(draining ? { connection: "close" } : {}),
  };
}

/** One server-sent event whose data is `body` as JSON (JSON never holds a raw newline). */
export function sseEvent(body: unknown): string {
  return `data: ${JSON.stringify(body)}\n\n`;
}

/**
 * The events of one stream's chunks, each `{model_name, model_version?, ...chunk}`: the
 * model's part is JSON made once per stream and the chunk's JSON follows it, instead of a
 * merged object serialised whole per token. A chunk that names the model itself is merged
 * (its fields win, as in a spread).
 */
export class ChunkEvents {
  /** `data: {"model_name":...,` */
  readonly #head: string;

  constructor(readonly model: Readonly<Record<string, unknown>>) {
    this.#head = `data: ${JSON.stringify(model).slice(0, -1)},`;
  }

  event(chunk: Readonly<Record<string, unknown>>): string {
    for (const key in this.model) if (key in chunk) return sseEvent({ ...this.model, ...chunk });
    // A chunk always holds text_output: its JSON is never `{}`.
    return `${this.#head}${JSON.stringify(chunk).slice(1)}\n\n`;
  }
}

/**
 * Writes an event; when the socket's buffer is full, resolves only once it drained (or the
 * client left): the caller pulls the next chunk from the model only then, so a slow reader
 * holds generation back instead of piling chunks up in memory.
 */
export function writeEvent(
  res: ServerResponse,
  event: string,
  signal: AbortSignal,
): Promise<void> | undefined {
  if (res.write(event)) return undefined;
  return new Promise<void>((resolve) => {
    const done = () => {
      res.off("drain", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    res.on("drain", done);
    signal.addEventListener("abort", done, { once: true });
  });
}
