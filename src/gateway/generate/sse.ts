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
 * Writes an event; when the socket's buffer is full, resolves only once it drained (or the
 * client left): the caller pulls the next chunk from the model only then, so a slow reader
 * holds generation back instead of piling chunks up in memory.
 */
export function writeEvent(
  res: ServerResponse,
  body: unknown,
  signal: AbortSignal,
): Promise<void> | undefined {
  if (res.write(sseEvent(body))) return undefined;
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
