import { copyWith } from "../copy.js";
import type { ErrorStep, TaskStep } from "../document.js";
import type { ErrorRunner, Runner } from "../executor.js";
import { parsedBody } from "../json-bytes.js";
import { callOptional, loadCode } from "./code.js";
import { type BuildEnv, reportProblem, stepContext } from "./env.js";
import type { StepRuntime } from "./runtime.js";

/** A task step: `handler(body, ctx)` or an instance's `do(body, ctx)`. */
export async function buildTask(
  spec: TaskStep,
  at: string,
  name: string,
  env: BuildEnv,
): Promise<StepRuntime | undefined> {
  const ctx = stepContext(env, name);
  const code = await loadCode(spec, at, name, env, ctx);
  if (!code) return undefined;
  let run: Runner;
  if (code.kind === "function") {
    const fn = code.fn;
    run = (input) => fn(input, ctx);
  } else {
    const instance = code.instance;
    const method = instance.do;
    if (typeof method !== "function") {
      reportProblem(env, `${at}/class`, `${spec.class} has no do(body, ctx) method`, name);
      return undefined;
    }
    run = (input) => method.call(instance, input, ctx);
  }
  return {
    run,
    init: () => callOptional(code, "init"),
    close: () => callOptional(code, "close"),
    models: [],
  };
}

/** An error handler: like a task, but its context carries the error it handles. */
export async function buildErrorHandler(
  spec: ErrorStep,
  at: string,
  name: string,
  env: BuildEnv,
): Promise<{ run: ErrorRunner; init(): Promise<void>; close(): Promise<void> } | undefined> {
  const ctx = stepContext(env, name);
  const code = await loadCode(spec, at, name, env, ctx);
  if (!code) return undefined;
  const call =
    code.kind === "function"
      ? code.fn
      : typeof code.instance.do === "function"
        ? (code.instance.do as (input: unknown, c: unknown) => unknown).bind(code.instance)
        : undefined;
  if (!call) {
    reportProblem(env, `${at}/class`, `${spec.class} has no do(body, ctx) method`, name);
    return undefined;
  }
  const run: ErrorRunner = (input, event, error) => {
    // A request's JSON that a remote step was sending as bytes is parsed for the handler.
    const body = parsedBody(input);
    // A fresh context and event per call keep the error out of shared state.
    const input_ = spec.full_event ? copyWith(event, { body, error }) : body;
    return call(input_, copyWith(ctx, { error }));
  };
  return { run, init: () => callOptional(code, "init"), close: () => callOptional(code, "close") };
}
