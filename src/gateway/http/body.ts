import type { IncomingMessage } from "node:http";
import { SluiceError } from "../../errors.js";

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
  const declared = Number(req.headers["content-length"]);
  if (declared > limit) return Promise.reject(new BodyTooLargeError(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners("data");
        req.resume(); // discard the rest instead of buffering it
        reject(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)));
    req.on("error", reject);
  });
}

/** True for `application/json`, `application/x-ndjson`-free JSON types and `+json` suffixes. */
export function isJsonType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const type = contentType.split(";", 1)[0]?.trim().toLowerCase() ?? "";
  return type === "application/json" || type.endsWith("+json");
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
