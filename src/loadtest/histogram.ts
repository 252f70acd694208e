/**
 * Latency histogram with log-spaced buckets, 1% wide: any quantile is within 1% of the true
 * value, from 1 µs to 100 s, in 1,850 counters. autocannon's own histogram records whole
 * milliseconds, which rounds a sub-millisecond gateway to "0 ms" or "1 ms"; this one keeps
 * the detail that a comparison with a bare server needs.
 */

const LOWEST_MS = 0.001;
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
const BUCKETS = Math.ceil(Math.log(100_000 / LOWEST_MS) / LOG_GROWTH) + 1;

/** One displayed bin: latencies in `[fromMs, toMs)` seen `count` times. */
export interface HistogramBin {
  fromMs: number;
  toMs: number;
  count: number;
}

/** A latency histogram as the JSON result keeps it: the non-empty 1% buckets. */
export interface HistogramJson {
  /** `[lower bound in ms, count]`, ascending. */
  buckets: [number, number][];
  count: number;
  minMs: number;
  maxMs: number;
  meanMs: number;
}

function lowerBound(index: number): number {
  return LOWEST_MS * GROWTH ** index;
}

/** Counts latencies (ms) and answers quantiles; recording allocates nothing. */
export class LatencyHistogram {
  readonly #counts = new Uint32Array(BUCKETS);
  #count = 0;
  #sum = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = 0;

  record(ms: number): void {
    const index =
      ms <= LOWEST_MS ? 0 : Math.min(BUCKETS - 1, Math.floor(Math.log(ms / LOWEST_MS) / LOG_GROWTH));
    this.#counts[index] = (this.#counts[index] ?? 0) + 1;
    this.#count++;
    this.#sum += ms;
    if (ms < this.#min) this.#min = ms;
    if (ms > this.#max) this.#max = ms;
  }

  get count(): number {
    return this.#count;
  }

  get maxMs(): number {
    return this.#max;
  }

  get meanMs(): number {
    return this.#count === 0 ? 0 : this.#sum / this.#count;
  }

  /** The latency (ms) under which a share `q` (0-1) of the recorded ones fall; 0 when empty. */
  quantile(q: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i] ?? 0;
      // The bucket's geometric middle, kept inside what was really seen.
      if (seen >= rank) return Math.min(this.#max, Math.max(this.#min, lowerBound(i + 0.5)));
    }
    return this.#max;
  }

  toJSON(): HistogramJson {
    const buckets: [number, number][] = [];
    this.#counts.forEach((count, i) => {
      if (count > 0) buckets.push([Number(lowerBound(i).toPrecision(4)), count]);
    });
    return {
      buckets,
      count: this.#count,
      minMs: this.#count === 0 ? 0 : this.#min,
      maxMs: this.#max,
      meanMs: this.meanMs,
    };
  }
}

/** About `count` log-spaced bins from the fastest to the slowest response, for a chart. */
export function binsOf(histogram: HistogramJson, count = 40): HistogramBin[] {
  const first = histogram.buckets[0];
  const last = histogram.buckets.at(-1);
  if (!first || !last) return [];
  const lo = first[0];
  const hi = last[0] * GROWTH;
  // Never narrower than the 1% buckets the counts were kept in.
  const n = Math.max(1, Math.min(count, Math.round(Math.log(hi / lo) / LOG_GROWTH)));
  const step = Math.log(hi / lo) / n;
  const bins: HistogramBin[] = Array.from({ length: n }, (_, i) => ({
    fromMs: lo * Math.exp(step * i),
    toMs: lo * Math.exp(step * (i + 1)),
    count: 0,
  }));
  for (const [lower, c] of histogram.buckets) {
    const i = Math.min(n - 1, Math.max(0, Math.floor(Math.log(lower / lo) / step + 1e-9)));
    (bins[i] as HistogramBin).count += c;
  }
  return bins;
}
