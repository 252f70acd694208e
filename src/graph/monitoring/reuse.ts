import { isUtf8 } from "node:buffer";
import type { GraphEvent } from "../contract.js";

/**
 * JSON the gateway made anyway, reused by the records that describe it: a record splices the
 * request's bytes as they arrived and the answer's text as it was sent, instead of serialising
 * the same tensors again (the largest part of a record's cost).
 */

/**
 * The answers' JSON texts by the object the graph answered, kept only while some model of the
 * process records its calls (`on`): the data plane then hands each answer's text over, and a
 * record of that very response takes it. A record made before its answer was sent (or of an
 * answer sent otherwise: binary tensors, gRPC, a stream) serialises the response itself.
 */
export const answerTexts = {
  on: false,
  texts: new WeakMap<object, string>(),
  /** The data plane sent `text` as the JSON of `answer`. */
  sent(answer: unknown, text: string): void {
    if (typeof answer === "object" && answer !== null) this.texts.set(answer, text);
  },
};

/**
 * The request body's bytes as they arrived, when the model was given the body the gateway
 * parsed from them (no step before it made another) and they can stand in a record as they
 * are: one line of valid UTF-8. Undefined otherwise.
 */
export function requestBytes(request: unknown, event: GraphEvent): Buffer | undefined {
  const { bytes } = event;
  if (bytes === undefined || request !== event.body || bytes.length === 0) return undefined;
  // A record is one line; a pretty-printed body is serialised again instead.
  if (bytes.includes(0x0a) || !isUtf8(bytes)) return undefined;
  return bytes;
}
