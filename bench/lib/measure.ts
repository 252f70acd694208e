/** Statistics and timing shared by the bench scenarios. */

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Runs `once` back to back for `ms` milliseconds, keeping `window` calls in flight, and
 * returns calls per second.
 */
export async function ratePerSecond(
  once: (i: number) => Promise<unknown>,
  ms: number,
  window = 1,
): Promise<number> {
  const end = performance.now() + ms;
  let done = 0;
  const started = performance.now();
  const lane = async () => {
    while (performance.now() < end) {
      // Check the clock every 256 calls: reading it per call would dominate a trivial step.
      for (let i = 0; i < 256; i++) await once(done++);
    }
  };
  await Promise.all(Array.from({ length: window }, lane));
  return done / ((performance.now() - started) / 1000);
}

/**
 * Measures two contenders in alternating rounds (so drift on a shared machine hits both)
 * and returns the median rate of each and the ratio of the medians.
 */
export async function sideBySide(
  subject: (i: number) => Promise<unknown>,
  baseline: (i: number) => Promise<unknown>,
  options: { rounds?: number; roundMs?: number; window?: number } = {},
): Promise<{ subject: number; baseline: number; ratio: number }> {
  const { rounds = 5, roundMs = 1000, window = 1 } = options;
  await ratePerSecond(subject, 300, window); // warm-up: let the JIT settle
  await ratePerSecond(baseline, 300, window);
  const s: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < rounds; r++) {
    s.push(await ratePerSecond(subject, roundMs, window));
    b.push(await ratePerSecond(baseline, roundMs, window));
  }
  const subjectRate = median(s);
  const baselineRate = median(b);
  return { subject: subjectRate, baseline: baselineRate, ratio: subjectRate / baselineRate };
}

export function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** A figure with its unit for the table: small ones (ms, MB) keep one decimal, below 1 two digits; none is "—". */
export function show(n: number, unit: string): string {
  if (Number.isNaN(n)) return "—";
  const digits = n !== 0 && Math.abs(n) < 1 ? n.toPrecision(2) : Math.abs(n) < 100 ? n.toFixed(1) : fmt(n);
  return `${digits} ${unit}`;
}
