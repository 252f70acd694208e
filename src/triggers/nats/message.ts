import type { MsgHdrs } from "@nats-io/transport-node";
import { headers as natsHeaders } from "@nats-io/transport-node";
import { decodeBody, headerNames } from "../codec.js";

/** A NATS message's headers as the plain lower-case map events carry. */
export function headersOf(hdrs: MsgHdrs | undefined): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (!hdrs) return out;
  for (const [name, values] of hdrs) out[name.toLowerCase()] = values[0];
  return out;
}

/** Headers for an output message: the event id and its trace context travel on. */
export function outputHeaders(eventId: string, traceparent: string | undefined): MsgHdrs {
  const h = natsHeaders();
  h.set(headerNames.eventId, eventId);
  if (traceparent) h.set(headerNames.traceparent, traceparent);
  return h;
}

/**
 * The event body of a message's payload, decoded without copying it first. Raw bytes stay
 * with the event past this tick, so they get a copy of their own: the client may reuse the
 * buffer it read them into.
 */
export function bodyOf(data: Uint8Array, contentType: string | undefined): unknown {
  const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const body = decodeBody(view, contentType);
  return body === view ? Buffer.from(view) : body;
}
