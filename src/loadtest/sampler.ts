/**
 * Listens to a running autocannon instance and keeps, per second, the responses, errors and
 * a latency histogram: the "over time" charts and the plain progress lines come from here,
 * and the whole run's latency percentiles too (see histogram.ts for why not autocannon's).
 */
import { performance } from "node:perf_hooks";
import type { AutocannonInstance } from "./autocannon.js";
import { LatencyHistogram } from "./histogram.js";
import type { SecondSample } from "./types.js";

interface Second {
  requests: number;
  non2xx: number;
  errors: number;
  latency: LatencyHistogram;
}

/** A last, partial second shorter than this is dropped: a rate over a sliver of time is noise. */
const SHORTEST_TAIL_MS = 500;

export class RunSampler {
  /** Every response of the run. */
  readonly latency = new LatencyHistogram();
  readonly #seconds: Second[] = [];
  #startedAt: number | undefined;
  #endedAt: number | undefined;

  /** Starts listening; the clock starts with autocannon's `start` event. */
  constructor(instance: AutocannonInstance) {
    instance.once("start", () => {
      this.#startedAt = performance.now();
    });
    instance.on("response", (_client: unknown, status: number, _bytes: number, ms: number) => {
      const second = this.#current();
      second.requests++;
      if (status < 200 || status > 299) second.non2xx++;
      second.latency.record(ms);
      this.latency.record(ms);
    });
    instance.on("reqError", () => {
      this.#current().errors++;
    });
  }

  /** Marks the end of the run, so that the last, partial second is rated over its real length. */
  end(): void {
    this.#endedAt ??= performance.now();
  }

  /** The seconds completed so far (or all of them, after `end()`). */
  samples(): SecondSample[] {
    const start = this.#startedAt ?? performance.now();
    const elapsedMs = (this.#endedAt ?? performance.now()) - start;
    const samples: SecondSample[] = [];
    this.#seconds.forEach((second, i) => {
      const spanMs = Math.min(1000, elapsedMs - i * 1000);
      const complete = spanMs >= 1000;
      if (!complete && (this.#endedAt === undefined || spanMs < SHORTEST_TAIL_MS)) return;
      samples.push({
        atSecond: Number(((i * 1000 + spanMs) / 1000).toFixed(3)),
        requests: second.requests,
        requestsPerSecond: (second.requests * 1000) / spanMs,
        p99Ms: second.latency.quantile(0.99),
        non2xx: second.non2xx,
        errors: second.errors,
      });
    });
    return samples;
  }

  #current(): Second {
    this.#startedAt ??= performance.now();
    const start = this.#startedAt;
    const index = Math.floor((performance.now() - start) / 1000);
    while (this.#seconds.length <= index) {
      this.#seconds.push({ requests: 0, non2xx: 0, errors: 0, latency: new LatencyHistogram() });
    }
    return this.#seconds[index] as Second;
  }
}
