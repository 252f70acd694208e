import { SluiceError } from "../../errors.js";
import { DROP, StepError, stepAnswerHeaders, stepErrorAnswer } from "../../graph/index.js";
import type { NuclioContext, NuclioResponse } from "./nuclio-api.js";

/** What the entry answers an event with, before it becomes a Nuclio Response. */
export interface Answer {
  status: number;
  contentType: string;
  headers: Record<string, string>;
  /** Text, or base64 when `base64` is set (the wrapper's `body_encoding`). */
  body: string;
  base64: boolean;
}

const json = "application/json";

/**
 * A step's (or segment's) output as the gateway's remote step decodes it back
 * (src/graph/step-answer.ts): nothing → 204, DROP → 204 with `x-sluice-drop`, bytes as
 * application/octet-stream, anything else as JSON (a string too, so it comes back a string).
 */
export function answerOf(value: unknown): Answer {
  if (value === undefined)
    return { status: 204, contentType: "text/plain", headers: {}, body: "", base64: false };
  if (value === DROP) {
    return {
      status: 204,
      contentType: "text/plain",
      headers: { [stepAnswerHeaders.drop]: "1" },
      body: "",
      base64: false,
    };
  }
  if (value instanceof Uint8Array) {
    const bytes = Buffer.isBuffer(value)
      ? value
      : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return {
      status: 200,
      contentType: "application/octet-stream",
      headers: {},
      body: bytes.toString("base64"),
      base64: true,
    };
  }
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return failureAnswer(new SluiceError("SLUICE_ERR_INTERNAL", `the output cannot be sent as JSON: ${why}`));
  }
  return { status: 200, contentType: json, headers: {}, body: text, base64: false };
}

/**
 * A failure as the gateway would answer it: the error's status and `{"error": message}`;
 * a step's failure also carries what the caller's error handler needs (step, code, message).
 */
export function failureAnswer(error: unknown): Answer {
  if (error instanceof StepError) {
    const { status, headers, body } = stepErrorAnswer(error);
    return { status, contentType: json, headers, body: JSON.stringify(body), base64: false };
  }
  const status = error instanceof SluiceError ? error.status : 500;
  const message = error instanceof Error ? error.message : String(error);
  return { status, contentType: json, headers: {}, body: JSON.stringify({ error: message }), base64: false };
}

/** The answer as the wrapper's Response (a Response keeps a string body as it is). */
export function responseOf(context: NuclioContext, answer: Answer): NuclioResponse {
  return new context.Response(
    answer.body,
    answer.headers,
    answer.contentType,
    answer.status,
    answer.base64 ? "base64" : "text",
  );
}
