import type { RouterStep } from "../../document.js";
import type { Runner } from "../../executor.js";
import { type BuildEnv, reportProblem } from "../env.js";
import type { Route } from "./route.js";

/** FNV-1a: a fast, stable hash, so the same event id always lands on the same route. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Canary and A/B routing: picks a route by `weight` (the weights sum to 100), seeded by the
 * event id so a retried event takes the same route.
 */
export function splitRouter(
  _spec: RouterStep,
  at: string,
  name: string,
  routes: Route[],
  env: BuildEnv,
): Runner {
  const weights = routes.map((r) => (r.spec as { weight?: number }).weight);
  routes.forEach((route, i) => {
    if (weights[i] === undefined)
      reportProblem(env, `${route.at}`, "a split route needs a weight (0-100)", name);
  });
  const total = weights.reduce<number>((sum, w) => sum + (w ?? 0), 0);
  if (total !== 100) reportProblem(env, `${at}/routes`, `split weights sum to ${total}, not 100`, name);
  // Cumulative bounds over 0..99; a route with weight 0 never matches.
  const bounds: number[] = [];
  let upTo = 0;
  for (const w of weights) {
    upTo += w ?? 0;
    bounds.push(upTo);
  }
  return (input, event) => {
    const slot = fnv1a(`${name}\u0000${event.id}`) % 100;
    const index = bounds.findIndex((bound) => slot < bound);
    return (routes[index] ?? (routes.at(-1) as Route)).run(input, event);
  };
}
