import { SluiceError } from "../../errors.js";
import type { GraphEvent } from "../../graph/index.js";

/**
 * What a queue step writes: the event, not just its body, so the steps behind the queue see
 * the same id, key and trace headers. (MLRun writes `{full_event_wrapper, body, key, id}`;
 * the same fields are here.)
 */
export interface Envelope {
  full_event_wrapper: true;
  id: string;
  key?: string | undefined;
  body: unknown;
  headers: Record<string, string>;
  time: number;
}

/** Headers worth carrying across a queue: the request id and W3C trace context. */
const carried = ["x-request-id", "traceparent", "tracestate"];

export function wrap(body: unknown, event: GraphEvent): Buffer {
  const headers: Record<string, string> = {};
  for (const name of carried) {
    const value = event.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  const envelope: Envelope = {
    full_event_wrapper: true,
    id: event.id,
    key: event.key,
    body,
    headers,
    time: event.time,
  };
  return Buffer.from(JSON.stringify(envelope));
}

/** The event behind a queue, rebuilt from the envelope a consumer read. */
export function unwrap(read: GraphEvent): GraphEvent {
  const envelope = read.body as Partial<Envelope> | undefined;
  if (envelope?.full_event_wrapper !== true || typeof envelope.id !== "string") {
    throw new SluiceError(
      "SLUICE_ERR_INPUT",
      `message on ${read.trigger.name} is not a sluice queue envelope`,
    );
  }
  return {
    ...read,
    id: envelope.id,
    body: envelope.body,
    key: envelope.key,
    headers: { ...read.headers, ...envelope.headers },
    time: envelope.time ?? read.time,
  };
}
