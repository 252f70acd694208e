import { randomUUID } from "node:crypto";
import { SluiceError } from "../../errors.js";
import type { GraphEvent } from "../../graph/index.js";
import type { NuclioEvent } from "./nuclio-api.js";

/** Nuclio's trigger kinds that carry stream messages rather than calls. */
export const streamKinds = new Set(["kafka-cluster", "kafka", "nats", "cron", "v3io-stream", "rabbit-mq"]);

/**
 * An event's headers by lower-case name, as strings. Nuclio passes HTTP headers in Go's
 * canonical case (`X-Sluice-Step`) and stream headers as they were written.
 */
export function headersOf(event: NuclioEvent): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value === undefined || value === null) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? String(value[0]) : String(value);
  }
  return headers;
}

/**
 * The body as sluice reads one: JSON when the content type says so (for stream messages:
 * unless it says otherwise, as sluice's own consumers do), else the bytes; nothing is
 * undefined. A body that claims to be JSON and is not is the caller's fault (400).
 */
export function bodyOf(event: NuclioEvent, contentType: string | undefined, stream: boolean): unknown {
  const bytes = event.body;
  if (bytes === undefined || bytes === null || bytes.length === 0) return undefined;
  const type = contentType ?? "";
  const isJson = /json/i.test(type) || (stream && type === "");
  if (!isJson) return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new SluiceError("SLUICE_ERR_INPUT", `the event's body is not valid JSON: ${why}`);
  }
}

/** Milliseconds since the epoch of the event (the wrapper makes `timestamp` a Date). */
function timeOf(event: NuclioEvent): number {
  const t = event.timestamp;
  if (t instanceof Date) return t.getTime();
  if (typeof t === "number") return t * 1000;
  return Date.now();
}

/**
 * The sluice event for a Nuclio event. A call from the gateway keeps its request id (so a
 * split router picks the same route as in the gateway); a Kafka message gets the id the
 * gateway's own consumer gives it (`topic/partition/offset`) and path `/topic`.
 */
export function graphEventOf(event: NuclioEvent, body: unknown): GraphEvent {
  const headers = headersOf(event);
  const kind = event.trigger?.kind ?? "http";
  const time = timeOf(event);
  if (kind === "kafka-cluster" || kind === "kafka") {
    const topic = event.topic ?? "";
    return {
      id: `${topic}/${event.shard_id ?? 0}/${event.offset ?? 0}`,
      body,
      path: `/${topic}`,
      method: "POST",
      headers,
      key: undefined,
      time,
      trigger: { kind: "kafka", name: topic },
    };
  }
  if (kind === "nats" || kind === "cron") {
    const name = kind === "nats" ? (event.topic ?? "") : (event.trigger?.name ?? "cron");
    return {
      id: event.id ?? randomUUID(),
      body,
      path: kind === "nats" ? `/${name}` : "/",
      method: "POST",
      headers,
      key: undefined,
      time,
      trigger: { kind, name },
    };
  }
  return {
    id: headers["x-request-id"] ?? event.id ?? randomUUID(),
    body,
    path: event.path || "/",
    method: event.method ?? "POST",
    headers,
    key: undefined,
    time,
    trigger: { kind: "http" },
  };
}
