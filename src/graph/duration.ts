const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Milliseconds from a duration as users write it: a number of milliseconds, or `250ms`,
 * `2s`, `1.5m`, `1h`. Returns undefined for anything else, so callers can say where it was.
 */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value > 0 ? value : undefined;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * (units[match[2] as string] ?? 1);
  return ms > 0 ? ms : undefined;
}
