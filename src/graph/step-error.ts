import { type ErrorCode, isSluiceError, SluiceError } from "../errors.js";
import type { StepErrorInfo } from "./contract.js";

/** Short codes error handlers see, from our catalogue's long ones. */
const shortCodes: Partial<Record<ErrorCode, string>> = {
  SLUICE_ERR_STEP_TIMEOUT: "TIMEOUT",
  SLUICE_ERR_STEP_FAILED: "STEP_FAILED",
  SLUICE_ERR_INPUT: "BAD_INPUT",
  SLUICE_ERR_MODEL_NOT_FOUND: "MODEL_NOT_FOUND",
  SLUICE_ERR_MODEL_NOT_READY: "MODEL_NOT_READY",
  SLUICE_ERR_ROUTE_NOT_FOUND: "ROUTE_NOT_FOUND",
  SLUICE_ERR_REMOTE_FAILED: "REMOTE_FAILED",
  SLUICE_ERR_CIRCUIT_OPEN: "CIRCUIT_OPEN",
  SLUICE_ERR_OVERLOADED: "OVERLOADED",
};

/** A step's failure, keeping where it happened: the caller sees which step failed and why. */
export class StepError extends SluiceError {
  readonly step: string;
  readonly info: StepErrorInfo;

  constructor(step: string, info: StepErrorInfo, code: ErrorCode, cause: unknown) {
    const retryAfter = isSluiceError(cause) ? cause.retryAfter : undefined;
    // A failure waiting will not change (a model whose load failed) stays without Retry-After.
    const permanent = isSluiceError(cause) && cause.permanent;
    super(code, `step "${step}" failed: ${info.message}`, {
      cause,
      status: info.status,
      ...(retryAfter === undefined ? {} : { retryAfter }),
      ...(permanent ? { permanent } : {}),
    });
    this.name = "StepError";
    this.step = step;
    this.info = info;
  }
}

/** Wraps anything a step threw (or rejected with) into a StepError naming the step. */
export function toStepError(step: string, error: unknown): StepError {
  if (error instanceof StepError) return error;
  if (isSluiceError(error)) {
    const info = {
      step,
      code: shortCodes[error.code] ?? error.code,
      message: error.message,
      status: error.status,
    };
    return new StepError(step, info, error.code, error);
  }
  const e = error as
    | { message?: unknown; code?: unknown; status?: unknown; statusCode?: unknown }
    | undefined;
  const message = typeof e?.message === "string" ? e.message : String(error);
  const code = typeof e?.code === "string" ? e.code : "STEP_FAILED";
  const declared = typeof e?.status === "number" ? e.status : e?.statusCode;
  const status = typeof declared === "number" && declared >= 400 && declared <= 599 ? declared : 500;
  return new StepError(step, { step, code, message, status }, "SLUICE_ERR_STEP_FAILED", error);
}

/** The error a step's timeout raises (code TIMEOUT, HTTP 504). */
export function timeoutError(ms: number): SluiceError {
  return new SluiceError("SLUICE_ERR_STEP_TIMEOUT", `timed out after ${ms} ms`);
}
