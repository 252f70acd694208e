import type { RouterStep, RouteStep } from "../../document.js";
import type { Runner } from "../../executor.js";
import { modelRunner } from "../../monitoring/index.js";
import { toStepError } from "../../step-error.js";
import type { BuildEnv } from "../env.js";
import { buildModelRunner, type ModelRunner } from "../model.js";
import { buildRemote } from "../remote.js";
import type { StepRuntime } from "../runtime.js";
import { buildTask } from "../task.js";
import { wrapRunner } from "../wrap.js";

/** One route of a router, built like a step; failures name `router/route`. */
export interface Route {
  key: string;
  spec: RouteStep;
  at: string;
  run: Runner;
  model: ModelRunner | undefined;
  runtime: StepRuntime;
}

export async function buildRoutes(
  router: RouterStep,
  at: string,
  name: string,
  env: BuildEnv,
): Promise<Route[]> {
  const routes: Route[] = [];
  for (const [key, spec] of Object.entries(router.routes ?? {})) {
    const routeAt = `${at}/routes/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`;
    const routeName = `${name}/${key}`;
    let runtime: StepRuntime | undefined;
    let model: ModelRunner | undefined;
    if (spec.kind === "model") {
      model = await buildModelRunner(spec, routeAt, key, routeName, env);
      const m = model;
      if (m)
        runtime = {
          run: modelRunner(m, spec, routeAt, routeName, env),
          init: async () => {},
          close: () => m.close(),
          models: [m],
        };
    } else if (spec.kind === "remote") {
      runtime = buildRemote(spec, routeAt, routeName, env);
    } else {
      runtime = await buildTask(spec, routeAt, routeName, env);
    }
    if (!runtime) continue;
    const inner = wrapRunner(runtime.run, spec, routeAt, routeName, env);
    const run: Runner = (input, event) => {
      try {
        const result = inner(input, event);
        if (result instanceof Promise)
          return result.catch((error) => Promise.reject(toStepError(routeName, error)));
        return result;
      } catch (error) {
        throw toStepError(routeName, error);
      }
    };
    routes.push({ key, spec, at: routeAt, run, model, runtime });
  }
  return routes;
}

/** A router's lifecycle is that of its routes. */
export function routerRuntime(routes: Route[], run: Runner): StepRuntime {
  return {
    run,
    init: async () => {
      for (const route of routes) await route.runtime.init();
    },
    close: async () => {
      for (const route of routes) await route.runtime.close();
    },
    models: routes.flatMap((r) => (r.model ? [r.model] : [])),
  };
}
