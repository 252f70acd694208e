import type { Logger, StepContext } from "../contract.js";
import { DROP } from "../contract.js";
import type { GraphMonitoring } from "../monitoring/index.js";
import type { PassThrough } from "../pass-through.js";
import type { Problem } from "../problems.js";
import type { RemoteTargets } from "../resilience/index.js";

/** What building a step needs to know, and where its problems go. */
export interface BuildEnv {
  file: string;
  graph: string;
  logger: Logger;
  problems: Problem[];
  /** The graph's remote targets: remote steps share a pool, breaker and bulkhead per origin. */
  remotes: RemoteTargets;
  /** Folders step modules may come from, besides the graph file's folder tree. */
  moduleRoots: readonly string[];
  /** Where models write their monitoring records; absent outside `sluice serve`. */
  monitoring?: GraphMonitoring;
  /** Where the graph's JSON may stay in its bytes (absent: everything is parsed). */
  passThrough?: PassThrough;
}

export function reportProblem(env: BuildEnv, at: string, message: string, step: string): void {
  env.problems.push({ file: env.file, pointer: at, step, message });
}

/** The per-step context handed to user code; built once per step, never per event. */
export function stepContext(env: BuildEnv, step: string): StepContext {
  const logger = (env.logger as { child?: (b: object) => Logger }).child?.({ step }) ?? env.logger;
  return { logger, graph: env.graph, step, drop: DROP };
}

/** True for a promise or any object with a `then` method (what `await` would wait for). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null && typeof value === "object" && typeof (value as { then?: unknown }).then === "function"
  );
}

/** Applies `f` to a value or to what a promise resolves to, without a promise for sync values. */
export function andThen(value: unknown, f: (v: unknown) => unknown): unknown {
  return isThenable(value) ? value.then(f) : f(value);
}
