import { SluiceError } from "../../../errors.js";
import type { Runner } from "../../executor.js";
import type { Route } from "./route.js";

/** `/v2/models/<name>[/versions/<v>][/<op>]`, as the Open Inference Protocol writes it. */
const modelPath = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(?:\/(infer|predict|explain|ready))?\/?$/;

/** Finds a route by OIP path: `name:version` when a version is given, else `name`. */
export function modelRoute(
  routes: Map<string, Route>,
  name: string,
  version: string | undefined,
): Route | undefined {
  if (version !== undefined) return routes.get(`${name}:${version}`);
  const exact = routes.get(name);
  if (exact) return exact;
  // A model served in exactly one version answers unversioned paths too.
  const versions = [...routes.values()].filter((r) => r.key.startsWith(`${name}:`));
  return versions.length === 1 ? versions[0] : undefined;
}

/**
 * Routes by the model named in the event's path. No model in the path, or an unknown one,
 * is a 404 that lists the known models: never a silent "first route".
 */
export function modelRouter(name: string, routes: Route[]): Runner {
  const byKey = new Map(routes.map((r) => [r.key, r]));
  const known = () => [...byKey.keys()].join(", ");
  return (input, event) => {
    const match = modelPath.exec(event.path);
    if (!match) {
      throw new SluiceError(
        "SLUICE_ERR_MODEL_NOT_FOUND",
        `router "${name}" needs a model in the path (/v2/models/<name>/infer), got "${event.path}"; known models: ${known()}`,
      );
    }
    const [, model = "", version, op = "infer"] = match;
    const route = modelRoute(byKey, decodeURIComponent(model), version && decodeURIComponent(version));
    if (!route) {
      const wanted = version === undefined ? model : `${model}:${version}`;
      throw new SluiceError(
        "SLUICE_ERR_MODEL_NOT_FOUND",
        `model "${wanted}" not found; known models: ${known()}`,
      );
    }
    if (route.model) {
      if (op === "explain") return route.model.explain(input);
      if (op === "ready") return { name: route.model.name, ready: route.model.ready };
      if (event.method === "GET" && match[3] === undefined) return route.model.metadata();
    }
    return route.run(input, event);
  };
}
