import type { RouterStep } from "../../document.js";
import type { Runner } from "../../executor.js";
import type { BuildEnv } from "../env.js";
import type { StepRuntime } from "../runtime.js";
import { ensembleRouter, parallelRouter } from "./fan-out-routers.js";
import { modelRouter } from "./model-router.js";
import { buildRoutes, routerRuntime } from "./route.js";
import { splitRouter } from "./split-router.js";
import { switchRouter } from "./switch-router.js";

export { modelRoute } from "./model-router.js";

/** A router step: its routes, built like steps, behind one of the five routing rules. */
export async function buildRouter(
  spec: RouterStep,
  at: string,
  name: string,
  env: BuildEnv,
): Promise<StepRuntime> {
  const routes = await buildRoutes(spec, at, name, env);
  let run: Runner;
  switch (spec.type ?? "model") {
    case "model":
      run = modelRouter(name, routes);
      break;
    case "switch":
      run = switchRouter(spec, at, name, routes, env);
      break;
    case "split":
      run = splitRouter(spec, at, name, routes, env);
      break;
    case "ensemble":
      run = ensembleRouter(spec, at, name, routes, env);
      break;
    case "parallel":
      run = parallelRouter(routes);
      break;
  }
  return routerRuntime(routes, run);
}
