import { type BuildEnv, reportProblem } from "../build/env.js";
import type { StepBase, StepGuards } from "../document.js";
import { parseDuration } from "../duration.js";
import type { ErrorRunner, Runner } from "../executor.js";
import { parsePath } from "../paths.js";
import { Bulkhead } from "./bulkhead.js";
import { type FallbackRunner, staticFallback, withFallback } from "./fallback.js";

/** What the compiler knows of the graph's error-kind steps, to resolve a `fallback` name. */
export interface FallbackSteps {
  /** The runner of the error-kind step of that name, if there is one. */
  handler(name: string): ErrorRunner | undefined;
  /** True for a flow step (not of kind error) of that name. */
  isFlowStep(name: string): boolean;
}

/**
 * Wraps a flow step in what its document asks for around the whole step: a bulkhead
 * (`maxConcurrency`, `maxQueue`) and, outside it, a `fallback` (so an overloaded step can
 * fall back too). A step with neither runs exactly as it was.
 */
export function guardStep(
  run: Runner,
  spec: StepBase & StepGuards,
  at: string,
  step: string,
  env: BuildEnv,
  steps: FallbackSteps,
): Runner {
  const problem = (field: string, message: string) => reportProblem(env, `${at}/${field}`, message, step);
  let guarded = run;
  if (spec.maxConcurrency !== undefined) {
    const bulkhead = new Bulkhead(`step "${step}"`, {
      maxConcurrency: spec.maxConcurrency,
      maxQueue: spec.maxQueue ?? spec.maxConcurrency,
      // Waiting counts against the step's timeout, as its running does.
      maxWaitMs: spec.timeout === undefined ? undefined : parseDuration(spec.timeout),
    });
    const inner = guarded;
    guarded = (input, event) =>
      bulkhead.run(() => Promise.resolve(inner(input, event)), { deadline: event.deadline });
  } else if (spec.maxQueue !== undefined) {
    problem("maxQueue", "maxQueue needs maxConcurrency: it is the queue in front of those slots");
  }
  if (spec.fallback !== undefined) {
    const fallback = fallbackOf(spec.fallback, steps, problem);
    if (fallback) guarded = withFallback(guarded, step, fallback, pathsOf(spec));
  }
  return guarded;
}

function fallbackOf(
  fallback: NonNullable<StepGuards["fallback"]>,
  steps: FallbackSteps,
  problem: (field: string, message: string) => void,
): FallbackRunner | undefined {
  if (typeof fallback !== "string") return staticFallback(fallback.value);
  const handler = steps.handler(fallback);
  if (handler) return handler;
  problem(
    "fallback",
    steps.isFlowStep(fallback)
      ? `"${fallback}" is not a step of kind error: a fallback runs only when the step fails, and a flow step would run for every event`
      : `unknown fallback step "${fallback}": name a step of kind error, or give {value: ...}`,
  );
  return undefined;
}

/** The step's paths, parsed again here; wrapRunner has already reported any bad one. */
function pathsOf(spec: StepBase): { input: string[] | undefined; result: string[] | undefined } {
  const parse = (path: string | undefined) => {
    try {
      return path === undefined ? undefined : parsePath(path);
    } catch {
      return undefined;
    }
  };
  return { input: parse(spec.input_path), result: parse(spec.result_path) };
}
