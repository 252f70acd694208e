import { randomBytes, randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { SluiceError } from "../errors.js";
import { durationMs, durationProblem } from "../graph/duration.js";

/** The request's id: the caller's `x-request-id` when given, else a new one. */
export function requestIdOf(headers: IncomingHttpHeaders): string {
  const given = headers["x-request-id"];
  return typeof given === "string" && given.length > 0 && given.length <= 200 ? given : newRequestId();
}

/**
 * Request ids in UUID form: a random prefix (the first 29 characters of a UUID) and a counter
 * in the last 7 hex digits; a new prefix is drawn each 2^28 ids. Ids need to be unique, not
 * unguessable. The counter's high 5 digits are formatted once per 256 ids and its low byte
 * read from a table, so an id is one string join: formatting the whole counter for each id
 * cost 3x as much, and `randomUUID()` 10x.
 */
const byteHex = Array.from({ length: 256 }, (_, byte) => (byte | 0x100).toString(16).slice(1));
const idsPerPrefix = 2 ** 28;
let idPrefix = "";
/** The prefix and the counter's high 5 hex digits, for the current 256 ids. */
let idHead = "";
/** Ids drawn under the current prefix (starts spent, so the first id draws a prefix). */
let idCount = idsPerPrefix;
export function newRequestId(): string {
  if ((idCount & 0xff) === 0) {
    if (idCount === idsPerPrefix) {
      idPrefix = randomUUID().slice(0, 29);
      idCount = 0;
    }
    idHead = idPrefix + ((idCount >>> 8) | 0x100000).toString(16).slice(1);
  }
  return idHead + byteHex[idCount++ & 0xff];
}

const traceparentPattern = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * Random hex from a pool: 4 KiB of random bytes drawn and hex-encoded at once, so that a new
 * trace is two slices of one string. (Two randomBytes calls a request cost a tenth of the
 * data plane's CPU; hex-encoding 24 pooled bytes a request, twice what the slices cost.)
 */
let hexPool = "";
let hexOffset = 0;
function randomHex(chars: number): string {
  if (hexOffset + chars > hexPool.length) {
    hexPool = randomBytes(4096).toString("hex");
    hexOffset = 0;
  }
  const hex = hexPool.slice(hexOffset, hexOffset + chars);
  hexOffset += chars;
  return hex;
}

/**
 * The W3C `traceparent` steps pass on to remote calls: the caller's, when it is well formed,
 * else a new trace (sampled), so every request can be followed across step functions.
 */
export function traceparentOf(headers: IncomingHttpHeaders): string {
  const given = headers.traceparent;
  if (typeof given === "string" && traceparentPattern.test(given)) return given;
  const traceId = randomHex(32);
  return `00-${traceId}-${randomHex(16)}-01`;
}

/**
 * How long this request may take: `x-request-timeout` (`500ms`, `2s` or milliseconds) when
 * the caller sets it, never more than the server's cap; else the server's default.
 * @throws SluiceError (400) quoting the header when it is not a duration.
 */
export function deadlineMsOf(headers: IncomingHttpHeaders, defaultMs: number, maxMs: number): number {
  const asked = headers["x-request-timeout"];
  if (typeof asked !== "string") return defaultMs;
  const given = /^\d+(\.\d+)?$/.test(asked) ? Number(asked) : asked;
  // Unbounded here: asking for longer than the server's cap gets the cap.
  const ms = durationMs(given);
  if (ms === undefined)
    throw new SluiceError("SLUICE_ERR_INPUT", `x-request-timeout: ${durationProblem(given)}`);
  return Math.min(ms, maxMs);
}
