import { type ErrorCode, errorCodes } from "../errors.js";
import type { StepErrorInfo } from "./contract.js";
import { StepError } from "./step-error.js";

/**
 * How a step that runs in another process (sluice's Nuclio entry) tells its caller (the
 * gateway's `placement: nuclio` step) what happened, so the caller sees what an in-process
 * run would have given it. Values travel as JSON (bytes as application/octet-stream, nothing
 * as a 204); these two headers carry what JSON cannot say.
 */
export const stepAnswerHeaders = {
  /** On an error answer: the catalogue code of the step's failure; the body is a StepErrorAnswer. */
  error: "x-sluice-error",
  /** On a 204: the step dropped the event (returned DROP), as opposed to returning nothing. */
  drop: "x-sluice-drop",
} as const;

/** The body of an error answer: the gateway's `{error}` plus what an error handler is told. */
export interface StepErrorAnswer {
  error: string;
  step: string;
  code: string;
  message: string;
  status: number;
}

/** The status, headers and body that answer a step's failure. */
export function stepErrorAnswer(error: StepError): {
  status: number;
  headers: Record<string, string>;
  body: StepErrorAnswer;
} {
  const { step, code, message, status } = error.info;
  return {
    status: error.status,
    headers: { [stepAnswerHeaders.error]: error.code },
    body: { error: error.message, step, code, message, status },
  };
}

/**
 * The StepError an error answer stands for, or undefined when the answer is not one (no
 * `x-sluice-error` header, or a body that does not say which step failed and how).
 */
export function stepErrorOfAnswer(
  status: number,
  code: string | undefined,
  body: Buffer,
): StepError | undefined {
  if (code === undefined) return undefined;
  let parsed: Partial<StepErrorAnswer>;
  try {
    parsed = JSON.parse(body.toString("utf8")) as Partial<StepErrorAnswer>;
  } catch {
    return undefined;
  }
  if (typeof parsed.step !== "string" || typeof parsed.message !== "string") return undefined;
  const info: StepErrorInfo = {
    step: parsed.step,
    code: typeof parsed.code === "string" ? parsed.code : "STEP_FAILED",
    message: parsed.message,
    status: typeof parsed.status === "number" ? parsed.status : status,
  };
  const known = Object.hasOwn(errorCodes, code) ? (code as ErrorCode) : "SLUICE_ERR_STEP_FAILED";
  return new StepError(info.step, info, known, undefined);
}
