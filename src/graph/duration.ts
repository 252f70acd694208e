const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Milliseconds from a duration as users write it: a number of milliseconds, or `250ms`,
 * `2s`, `1.5m`, `1h`. Returns undefined for anything else, so callers can say where it was.
 */
export function parseDuration(value: string | number): number | undefined {
  const ms = durationMs(value);
  return ms !== undefined && ms <= maxDurationMs ? ms : undefined;
}

/**
 * The longest duration sluice accepts: Node's timers take at most 2^31-1 ms (about 24.8
 * days); a longer one fires at once (and would make every request a 504 at once).
 */
export const maxDurationMs = 2 ** 31 - 1;

/** `parseDuration` without the upper bound (for callers that cap durations themselves). */
export function durationMs(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value > 0 ? value : undefined;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * (units[match[2] as string] ?? 1);
  return ms > 0 ? ms : undefined;
}

/** Why `value` is not a duration parseDuration takes, in words that quote it. */
export function durationProblem(value: string | number): string {
  const ms = durationMs(value);
  return ms !== undefined && ms > maxDurationMs
    ? `"${value}" is longer than the longest duration a timer can keep (${maxDurationMs} ms, about 24.8 days)`
    : `"${value}" is not a duration (e.g. 250ms, 2s)`;
}
