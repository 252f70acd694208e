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

/**
 * `readBody` with a callback: the data plane's hot path saves the promise. With `alignAt` (the
 * binary tensor extension's JSON header length), a body read in several chunks is joined so that
 * its byte `alignAt` sits at a multiple of 8 in memory: the tensors after the header can then be
 * typed arrays on the body itself (which need an offset that is a multiple of their element
 * size), for the price of the copy that joining the chunks costs anyway.
 */
export function collectBody(
  req: IncomingMessage,
  limit: number,
  done: (error: Error | undefined, raw: Buffer) => void,
  alignAt?: number,
): void {
  const declared = Number(req.headers["content-length"]);
  if (declared > limit) {
    req.resume(); // discard the body; the connection closes after the 413
    done(new BodyTooLargeError(limit), empty);
    return;
  }
  let first: Buffer | undefined;
  let chunks: Buffer[] | undefined;
  // A binary body of a declared length is copied into its aligned buffer piece by piece as it
  // arrives (node:http delivers exactly the declared bytes): each piece is garbage at once, so
  // a big request holds its body once rather than its pieces and their join.
  let into: Buffer | undefined;
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
    if (into !== undefined) chunk.copy(into, size - chunk.length);
    else if (first === undefined) first = chunk;
    else if (alignAt !== undefined && declared >= size) {
      into = alignedBuffer(declared, alignAt);
      first.copy(into);
      chunk.copy(into, first.length);
    } else if (chunks === undefined) chunks = [first, chunk];
    else chunks.push(chunk);
  });
  req.on("end", () => {
    if (failed) return;
    if (into !== undefined) done(undefined, into.subarray(0, size));
    else if (chunks === undefined) done(undefined, first ?? empty);
    else
      done(
        undefined,
        alignAt === undefined ? Buffer.concat(chunks, size) : joinAligned(chunks, size, alignAt),
      );
  });
  req.on("error", (error) => {
    if (failed) return;
    failed = true;
    done(error, empty);
  });
}

const empty = Buffer.alloc(0);

/** A buffer of `size` bytes whose byte `alignAt` starts on an 8-byte boundary in memory. */
function alignedBuffer(size: number, alignAt: number): Buffer {
  // A buffer of its own starts on an 8-byte boundary (pooled ones need not).
  const pad = (8 - (alignAt % 8)) % 8;
  return Buffer.allocUnsafeSlow(size + pad).subarray(pad);
}

/** `chunks` in one buffer of `size` bytes whose byte `alignAt` starts on an 8-byte boundary. */
function joinAligned(chunks: readonly Buffer[], size: number, alignAt: number): Buffer {
  const joined = alignedBuffer(size, alignAt);
  let offset = 0;
  for (const chunk of chunks) offset += chunk.copy(joined, offset);
  return joined;
}

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
