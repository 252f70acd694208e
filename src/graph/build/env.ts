import type { Logger, StepContext } from "../contract.js";
import { DROP } from "../contract.js";
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
}

export function reportProblem(env: BuildEnv, at: string, message: string, step: string): void {
  env.problems.push({ file: env.file, pointer: at, step, message });
}

/** The per-step context handed to user code; built once per step, never per event. */
export function stepContext(env: BuildEnv, step: string): StepContext {
  const logger = (env.logger as { child?: (b: object) => Logger }).child?.({ step }) ?? env.logger;
  return { logger, graph: env.graph, step, drop: DROP };
}

/** Applies `f` to a value or to what a promise resolves to, without a promise for sync values. */
export function andThen(value: unknown, f: (v: unknown) => unknown): unknown {
  if (
    value !== null &&
    typeof value === "object" &&
    typeof (value as { then?: unknown }).then === "function"
  ) {
    return (value as Promise<unknown>).then(f);
  }
  return f(value);
}
