import { DROP, type GraphEvent } from "../contract.js";
import type { StepBase } from "../document.js";
import { durationProblem, parseDuration } from "../duration.js";
import type { Runner } from "../executor.js";
import { getPath, parsePath, setPath } from "../paths.js";
import { timeoutError } from "../step-error.js";
import { andThen, type BuildEnv, reportProblem } from "./env.js";

/**
 * Adds what the document says around a step's core: `input_path`, `full_event`, `timeout`
 * and `result_path`. Each is a closure chosen at compile time, so a step that uses none of
 * them runs with no extra work per event.
 */
export function wrapRunner(core: Runner, spec: StepBase, at: string, step: string, env: BuildEnv): Runner {
  let run = core;
  if (spec.full_event) run = withFullEvent(run);
  if (spec.timeout !== undefined) {
    const ms = parseDuration(spec.timeout);
    if (ms === undefined) reportProblem(env, `${at}/timeout`, durationProblem(spec.timeout), step);
    else run = withTimeout(run, ms);
  }
  const inputPath = path(spec.input_path, `${at}/input_path`, step, env);
  const resultPath = path(spec.result_path, `${at}/result_path`, step, env);
  if (inputPath || resultPath) run = withPaths(run, inputPath, resultPath);
  return run;
}

function path(value: string | undefined, at: string, step: string, env: BuildEnv): string[] | undefined {
  if (value === undefined) return undefined;
  try {
    return parsePath(value);
  } catch (error) {
    reportProblem(env, at, error instanceof Error ? error.message : String(error), step);
    return undefined;
  }
}

function withFullEvent(inner: Runner): Runner {
  return (input, event) => {
    const full: GraphEvent = { ...event, body: input };
    // A step may return the event it was given (with a changed body) or a new body.
    return andThen(inner(full, event), (out) => (out === full ? full.body : out));
  };
}

export function withTimeout(inner: Runner, ms: number): Runner {
  return (input, event) => {
    const result = inner(input, event);
    if (
      result === null ||
      typeof result !== "object" ||
      typeof (result as { then?: unknown }).then !== "function"
    ) {
      return result; // a synchronous step has already finished
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(timeoutError(ms)), ms);
      (result as Promise<unknown>).then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  };
}

function withPaths(inner: Runner, inputPath: string[] | undefined, resultPath: string[] | undefined): Runner {
  return (body, event) => {
    const result = inner(inputPath ? getPath(body, inputPath) : body, event);
    if (!resultPath) return result;
    return andThen(result, (out) => (out === DROP ? DROP : setPath(body, resultPath, out)));
  };
}
