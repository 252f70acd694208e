import { SluiceError } from "../../../errors.js";
import { type CelProgram, type CelVars, celTruthy, compileCel } from "../../cel.js";
import type { RouterStep } from "../../document.js";
import type { Runner } from "../../executor.js";
import { type BuildEnv, reportProblem } from "../env.js";
import type { Route } from "./route.js";

/**
 * A condition that cannot be evaluated for this event (a header or field it does not have)
 * does not match, as a missing field fails KServe's Switch conditions: the next route is tried.
 */
function matches(test: CelProgram, vars: CelVars): boolean {
  try {
    return celTruthy(test(vars));
  } catch {
    return false;
  }
}

/**
 * Takes the first route whose `when` (CEL over `body`, `headers`, `path`) is true, else the
 * router's `default` route, else answers 404. Expressions are compiled once, here.
 */
export function switchRouter(
  spec: RouterStep,
  at: string,
  name: string,
  routes: Route[],
  env: BuildEnv,
): Runner {
  const conditions: { route: Route; test: CelProgram }[] = [];
  for (const route of routes) {
    const when = route.spec.when;
    if (when === undefined) {
      if (route.key !== spec.default)
        reportProblem(env, route.at, "a switch route needs `when` (or to be the default)", name);
      continue;
    }
    try {
      conditions.push({ route, test: compileCel(when) });
    } catch (error) {
      reportProblem(env, `${route.at}/when`, error instanceof Error ? error.message : String(error), name);
    }
  }
  const fallback = spec.default === undefined ? undefined : routes.find((r) => r.key === spec.default);
  if (spec.default !== undefined && !fallback) {
    reportProblem(env, `${at}/default`, `unknown route "${spec.default}" as default`, name);
  }
  return (input, event) => {
    const vars: CelVars = { body: input, headers: event.headers, path: event.path };
    for (const { route, test } of conditions) {
      if (matches(test, vars)) return route.run(input, event);
    }
    if (fallback) return fallback.run(input, event);
    throw new SluiceError(
      "SLUICE_ERR_ROUTE_NOT_FOUND",
      `no route of switch "${name}" matched and it has no default`,
    );
  };
}
