/** Parts of a million: sampling counts in integers, so a share is kept exactly over any run. */
const whole = 1_000_000;

/**
 * Which requests a model records: counted, not drawn. Each request adds `sample` to a credit
 * and a request that brings it to one is recorded, so `0.25` records exactly one request in
 * four (the first of them), `1` every request and `0` none: the share is exact over any run
 * and a test can say which requests were recorded. (MLRun samples by counting too.) Traffic
 * that alternates in a pattern with the same period is recorded unevenly: see docs/monitoring.md.
 */
export class Sampler {
  readonly #step: number;
  #credit: number;
  #since = 0;

  constructor(sample: number) {
    this.#step = Math.round(sample * whole);
    // The first request is recorded, so a model's first record comes at once.
    this.#credit = this.#step > 0 ? whole - this.#step : 0;
  }

  /** The share of requests recorded, as MLRun's `sampling_percentage` states it (0-100). */
  get percentage(): number {
    return (this.#step / whole) * 100;
  }

  /** True when this request is to be recorded. */
  take(): boolean {
    this.#since++;
    this.#credit += this.#step;
    if (this.#credit < whole) return false;
    this.#credit -= whole;
    return true;
  }

  /**
   * How many requests the record just taken stands for, itself included (MLRun's
   * `effective_sample_count`); the count starts again from it.
   */
  represented(): number {
    const n = this.#since;
    this.#since = 0;
    return n;
  }
}
