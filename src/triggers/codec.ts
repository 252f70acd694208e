import { isUtf8 } from "node:buffer";
import { SluiceError } from "../errors.js";
import { type StepErrorInfo, toStepError } from "../graph/index.js";

/** Headers sluice writes on outputs and dead letters; readers can rely on these names. */
export const headerNames = {
  eventId: "x-sluice-event-id",
  requestId: "x-request-id",
  traceparent: "traceparent",
  errorStep: "x-sluice-error-step",
  errorCode: "x-sluice-error-code",
  errorMessage: "x-sluice-error-message",
  attempts: "x-sluice-attempts",
  sourceTopic: "x-sluice-source-topic",
  sourcePartition: "x-sluice-source-partition",
  sourceOffset: "x-sluice-source-offset",
  sourceSubject: "x-sluice-source-subject",
  sourceSequence: "x-sluice-source-sequence",
} as const;

/**
 * A stream message's body: JSON unless its content type says otherwise (then the raw bytes).
 * A message that claims to be JSON and is not (or is not valid UTF-8) is the message's fault
 * (a 400, not retried: dead-lettered at once).
 */
export function decodeBody(value: Buffer | null | undefined, contentType: string | undefined): unknown {
  if (value === null || value === undefined || value.length === 0) return undefined;
  if (contentType !== undefined && !/json/i.test(contentType)) return value;
  // Decoded strictly: a lenient decode would turn bad bytes into U+FFFD and run a corrupted
  // event as if it were good. (isUtf8 is a SIMD scan; toString then cannot fail.)
  if (!isUtf8(value))
    throw new SluiceError("SLUICE_ERR_INPUT", "message is not valid UTF-8 (a JSON body must be)");
  try {
    return JSON.parse(value.toString("utf8"));
  } catch (error) {
    throw new SluiceError("SLUICE_ERR_INPUT", `message is not valid JSON: ${(error as Error).message}`);
  }
}

/** What goes on the output stream: bytes as they are, anything else as JSON. */
export function encodeBody(result: unknown): Buffer {
  if (Buffer.isBuffer(result)) return result;
  return Buffer.from(JSON.stringify(result ?? null));
}

/**
 * What an error handler would be told, for the dead letter's headers. A failure before the
 * graph ran (a message that does not decode) is put on the step "decode".
 */
export function errorInfoOf(error: unknown): StepErrorInfo {
  return toStepError("decode", error).info;
}

/** Header values are strings; a message header can be a Buffer, a string or a list. */
export function headerString(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return headerString(value[0]);
  return Buffer.isBuffer(value) ? value.toString("utf8") : String(value);
}
