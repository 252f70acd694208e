import { isUtf8 } from "node:buffer";
import type { GraphEvent } from "../contract.js";

/**
 * JSON the gateway made anyway (GraphEvent.json), reused by the records that describe it: a
 * record splices in the request's bytes as they arrived and the answer's text as it was sent,
 * instead of serialising the same tensors again (the largest part of a record's cost).
 */

/**
 * The request body's bytes as they arrived, when the model was given the body the gateway
 * parsed from them (no step before it made another) and they can stand in a record as they
 * are: one line of valid UTF-8. Undefined otherwise.
 */
export function requestBytes(request: unknown, event: GraphEvent): Buffer | undefined {
  const bytes = event.json?.request;
  if (bytes === undefined || request !== event.body || bytes.length === 0) return undefined;
  // A record is one line; a pretty-printed body is serialised again instead.
  if (bytes.includes(0x0a) || !isUtf8(bytes)) return undefined;
  return bytes;
}

/**
 * The JSON text the data plane sent for `response`, when the graph answered with that very
 * object (a record of a model whose answer a later step replaced, or of an answer sent
 * otherwise: binary tensors, gRPC, not yet sent, serialises the response itself).
 */
export function answerText(response: unknown, event: GraphEvent): string | undefined {
  const { json } = event;
  return json !== undefined && json.answer === response ? json.answerText : undefined;
}
