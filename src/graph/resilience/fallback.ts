import { DROP, type GraphEvent, type StepErrorInfo } from "../contract.js";
import type { Runner } from "../executor.js";
import { getPath, setPath } from "../paths.js";
import { toStepError } from "../step-error.js";

/**
 * What answers in a step's place: an error-kind step's runner (it gets the step's input and
 * why the step failed), or a copy of a static value.
 */
export type FallbackRunner = (input: unknown, event: GraphEvent, error: StepErrorInfo) => unknown;

/** A static fallback: each event gets its own copy, so a step downstream may change it freely. */
export function staticFallback(value: unknown): FallbackRunner {
  return () => structuredClone(value);
}

/**
 * Wraps a step so that when it fails for a reason of its own or of its dependency (any
 * status from 500: circuit open, overloaded, timeout, an upstream failure), the fallback's
 * output stands in for the step's result: it reads the step's `input_path` and lands at its
 * `result_path`. A caller's mistake (a 4xx) is not hidden and fails the step as before.
 */
export function withFallback(
  run: Runner,
  step: string,
  fallback: FallbackRunner,
  paths: { input: string[] | undefined; result: string[] | undefined },
): Runner {
  return (body, event) => {
    const recover = (error: unknown): unknown => {
      const failure = toStepError(step, error);
      if (failure.info.status < 500) throw failure;
      const input = paths.input ? getPath(body, paths.input) : body;
      const out = fallback(input, event, failure.info);
      const place = (value: unknown) =>
        paths.result && value !== DROP ? setPath(body, paths.result, value) : value;
      return isThenable(out) ? out.then(place) : place(out);
    };
    let result: unknown;
    try {
      result = run(body, event);
    } catch (error) {
      return recover(error);
    }
    return isThenable(result) ? result.then(undefined, recover) : result;
  };
}

function isThenable(value: unknown): value is Promise<unknown> {
  return (
    value !== null && typeof value === "object" && typeof (value as { then?: unknown }).then === "function"
  );
}
