import { randomFillSync, randomUUID } from "node:crypto";
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
 * unguessable, and this costs a quarter of `randomUUID()`, which draws and formats 16 random
 * bytes per request. (The counter stays a small integer: formatting a larger number in hex
 * is slower than `randomUUID()` itself.)
 */
let idPrefix = "";
let idCounter = 0x1fffffff;
export function newRequestId(): string {
  if (++idCounter > 0x1fffffff) {
    idPrefix = randomUUID().slice(0, 29);
    idCounter = 0x10000000;
  }
  return idPrefix + idCounter.toString(16).slice(1);
}

const traceparentPattern = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * Random hex from a pool refilled 4 KiB at a time: one getrandom call serves 170 traceparents,
 * where two randomBytes calls per request cost a tenth of the data plane's CPU.
 */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;
function randomHex(bytes: number): string {
  if (poolOffset + bytes > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const hex = pool.toString("hex", poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

/**
 * The W3C `traceparent` steps pass on to remote calls: the caller's, when it is well formed,
 * else a new trace (sampled), so every request can be followed across step functions.
 */
export function traceparentOf(headers: IncomingHttpHeaders): string {
  const given = headers.traceparent;
  if (typeof given === "string" && traceparentPattern.test(given)) return given;
  const hex = randomHex(24); // trace id (16 bytes) and parent id (8) in one go
  return `00-${hex.slice(0, 32)}-${hex.slice(32)}-01`;
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
