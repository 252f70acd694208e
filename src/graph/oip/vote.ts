/**
 * How an `ensemble` router combines its routes' predictions: `results[r][i]` is route r's
 * prediction for element i (e.g. row i of a batch), `weights[r]` its say in the vote.
 * A mismatch here means the models disagree on the batch or the graph on its routes: the
 * server failed, so every error is `SLUICE_ERR_STEP_FAILED`.
 */
import { fail, preview } from "./request.js";

const code = "SLUICE_ERR_STEP_FAILED";

/** Checks the shapes of a vote; returns its length and the weights to use (all 1 when none are given). */
function checkVote(
  results: readonly (readonly unknown[])[],
  weights: readonly number[] | undefined,
): { length: number; w: number[] } {
  if (results.length === 0) fail(code, "an ensemble vote needs at least one route's results");
  const length = results[0]?.length ?? 0;
  results.forEach((result, route) => {
    if (!Array.isArray(result)) {
      fail(code, `ensemble route #${route} returned ${preview(result)}, not an array`);
    }
    if (result.length !== length) {
      fail(
        code,
        `ensemble routes disagree on length: route #0 returned ${length} elements, route #${route} ${result.length}`,
      );
    }
  });
  if (weights === undefined || weights.length === 0) return { length, w: results.map(() => 1) };
  if (weights.length !== results.length) {
    fail(code, `an ensemble of ${results.length} routes got ${weights.length} weights`);
  }
  weights.forEach((weight, route) => {
    if (!(Number.isFinite(weight) && weight >= 0)) {
      fail(code, `ensemble weight #${route} must be a non-negative number, got ${preview(weight)}`);
    }
  });
  return { length, w: [...weights] };
}

/** Identity for counting votes: primitives as themselves, arrays and objects by their JSON. */
function voteKey(value: unknown): unknown {
  return typeof value === "object" && value !== null ? `json:${JSON.stringify(value)}` : value;
}

/**
 * Weighted majority per element. A tie goes to the value the earliest route (in `results`
 * order) predicted, so the outcome never depends on hashing or timing.
 * `weights` default to 1 each.
 */
export function voteClassification(results: unknown[][], weights?: number[]): unknown[] {
  const { length, w } = checkVote(results, weights);
  const winners: unknown[] = [];
  for (let i = 0; i < length; i++) {
    // A Map iterates in insertion order: the earliest route's candidate comes first.
    const tally = new Map<unknown, { value: unknown; score: number }>();
    results.forEach((result, route) => {
      const value = result[i];
      const key = voteKey(value);
      const entry = tally.get(key);
      if (entry) entry.score += w[route] ?? 0;
      else tally.set(key, { value, score: w[route] ?? 0 });
    });
    let best: { value: unknown; score: number } | undefined;
    for (const entry of tally.values()) if (best === undefined || entry.score > best.score) best = entry;
    winners.push(best?.value);
  }
  return winners;
}

/** Weighted mean per element. `weights` default to 1 each and must not all be 0. */
export function voteRegression(results: number[][], weights?: number[]): number[] {
  const { length, w } = checkVote(results, weights);
  const total = w.reduce((sum, weight) => sum + weight, 0);
  if (total === 0) fail(code, "the ensemble's weights are all 0: there is nothing to average");
  const means: number[] = [];
  for (let i = 0; i < length; i++) {
    let sum = 0;
    results.forEach((result, route) => {
      const value = result[i];
      if (typeof value !== "number" || !Number.isFinite(value)) {
        fail(
          code,
          `ensemble route #${route} predicted ${preview(value)} for element ${i}; regression needs numbers`,
        );
      }
      sum += value * (w[route] ?? 0);
    });
    means.push(sum / total);
  }
  return means;
}
