import type { ErrorStep, ModelStep, RemoteStep, RouterStep, TaskStep } from "../document.js";
import type { PlannedStep } from "../topology.js";
import type { BuildEnv } from "./env.js";
import { buildModelStep } from "./model.js";
import { buildNuclioStep, buildRemote } from "./remote.js";
import { buildRouter } from "./routers/index.js";
import { noLifecycle, type StepRuntime } from "./runtime.js";
import { buildErrorHandler, buildTask } from "./task.js";
import { wrapRunner } from "./wrap.js";

export { type BuildEnv, isThenable, reportProblem } from "./env.js";
export type { ModelRunner } from "./model.js";
export type { GenerationLease } from "./model-lifecycle.js";
export { InProcessQueue } from "./queue.js";
export { modelRoute } from "./routers/index.js";
export type { StepRuntime } from "./runtime.js";

/** Builds a flow step of any kind, wrapped with its paths and timeout. */
export async function buildStep(step: PlannedStep, env: BuildEnv): Promise<StepRuntime | undefined> {
  const { spec, at, name } = step;
  let runtime: StepRuntime | undefined;
  switch (step.kind) {
    case "task":
      // A task placed in Nuclio runs in its function: the gateway calls it, loading no code.
      runtime =
        spec.placement === "nuclio"
          ? buildNuclioStep(spec as TaskStep, at, name, env)
          : await buildTask(spec as TaskStep, at, name, env);
      break;
    case "model":
      runtime = await buildModelStep(spec as ModelStep, at, name, env);
      break;
    case "router":
      runtime = await buildRouter(spec as RouterStep, at, name, env);
      break;
    case "remote":
      runtime = buildRemote(spec as RemoteStep, at, name, env);
      break;
    case "queue":
      // The queue step hands its input on unchanged; the executor routes it to the queue.
      runtime = { ...noLifecycle, run: (input) => input };
      break;
    case "error":
      return undefined;
  }
  if (!runtime) return undefined;
  // A remote call enforces its own timeout (it aborts the request): no second timer around it.
  const remote = step.kind === "remote" || (step.kind === "task" && spec.placement === "nuclio");
  const wrapped = remote ? { ...spec, timeout: undefined } : spec;
  return { ...runtime, run: wrapRunner(runtime.run, wrapped, at, name, env) };
}

export function buildHandler(step: PlannedStep, env: BuildEnv) {
  return buildErrorHandler(step.spec as ErrorStep, step.at, step.name, env);
}
