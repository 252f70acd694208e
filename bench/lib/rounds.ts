/** Rounds over several contenders, and ratios paired by round. */
import { median } from "./measure.js";

/**
 * Measures each of `count` contenders once a round, `rounds` times, the order rotated every
 * round (0 1 2, 1 2 0, 2 0 1...) so that none always runs first, or always after the same
 * neighbour has heated the machine. Returns each contender's results, one a round.
 */
export async function inRotation<T>(
  count: number,
  rounds: number,
  once: (contender: number, round: number) => Promise<T>,
): Promise<T[][]> {
  const results: T[][] = Array.from({ length: count }, () => []);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < count; k++) {
      const c = (r + k) % count;
      (results[c] as T[])[r] = await once(c, r);
    }
  }
  return results;
}

/**
 * The median over the rounds of `figure(subject) / figure(baseline)` within each round: two
 * loads of one round saw one state of a shared machine, so their ratio moves less between
 * runs than the ratio of the two medians.
 */
export function pairedRatio<T>(subject: T[], baseline: T[], figure: (x: T) => number): number {
  return median(subject.map((s, r) => figure(s) / figure(baseline[r] as T)));
}

/** "a b c" of a contender's figure per round, for the progress lines on stderr. */
export function perRound<T>(results: T[], figure: (x: T) => number, digits = 0): string {
  return results.map((x) => figure(x).toFixed(digits)).join(" ");
}
