import type { IncomingMessage } from "node:http";
import { SluiceError } from "../../errors.js";
import { JsonBytes } from "../../graph/index.js";

/** The body was larger than the limit; the connection is closed after the 413. */
export class BodyTooLargeError extends SluiceError {
  constructor(limit: number) {
    super("SLUICE_ERR_INPUT", `request body is larger than the limit of ${limit} bytes`, { status: 413 });
  }
}

/**
 * Reads a request body up to `limit` bytes. A declared Content-Length over the limit is
 * refused before reading anything; a chunked body is cut off as soon as it passes the limit.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    collectBody(req, limit, (error, raw) => (error ? reject(error) : resolve(raw))),
  );
}

/** `readBody` with a callback: the data plane's hot path saves the promise. */
export function collectBody(
  req: IncomingMessage,
  limit: number,
  done: (error: Error | undefined, raw: Buffer) => void,
): void {
  const declared = Number(req.headers["content-length"]);
  if (declared > limit) {
    req.resume(); // discard the body; the connection closes after the 413
    done(new BodyTooLargeError(limit), empty);
    return;
  }
  let first: Buffer | undefined;
  let chunks: Buffer[] | undefined;
  let size = 0;
  let failed = false;
  req.on("data", (chunk: Buffer) => {
    if (failed) return;
    size += chunk.length;
    if (size > limit) {
      failed = true;
      req.resume(); // discard the rest instead of buffering it
      done(new BodyTooLargeError(limit), empty);
      return;
    }
    if (first === undefined) first = chunk;
    else if (chunks === undefined) chunks = [first, chunk];
    else chunks.push(chunk);
  });
  req.on("end", () => {
    if (!failed) done(undefined, chunks ? Buffer.concat(chunks, size) : (first ?? empty));
  });
  req.on("error", (error) => {
    if (failed) return;
    failed = true;
    done(error, empty);
  });
}

const empty = Buffer.alloc(0);

/** True for `application/json`, `application/x-ndjson`-free JSON types and `+json` suffixes. */
export function isJsonType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  if (contentType === "application/json") return true; // the common case, without parsing
  const type = contentType.split(";", 1)[0]?.trim().toLowerCase() ?? "";
  return type === "application/json" || type.endsWith("+json");
}

/**
 * A JSON body left in its bytes, for a graph that only sends it on (`CompiledGraph.takesBytes`):
 * it goes out with the caller's JSON content-type, and is not checked here. An empty body is
 * undefined, as `parseJsonBody` has it.
 */
export function jsonBytesOf(raw: Buffer, type: string | undefined): JsonBytes | undefined {
  return raw.length === 0 ? undefined : new JsonBytes(raw, type ?? "application/json");
}

/** Parses a JSON body; malformed JSON is the caller's mistake (400), said in one line. */
export function parseJsonBody(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch (error) {
    throw new SluiceError("SLUICE_ERR_INPUT", `request body is not valid JSON: ${(error as Error).message}`);
  }
}
