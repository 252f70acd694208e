import { AggregatorRegistry } from "prom-client";
import { describe, expect, it } from "vitest";
import { GatewayMetrics } from "../../src/gateway/metrics/index.js";
import {
  type Histogram,
  histogramDelta,
  histogramQuantile,
  StatsWindow,
  snapshotOf,
} from "../../src/gateway/ui/index.js";

const quiet = () => new GatewayMetrics({ processMetrics: false });
const snapshot = async (metrics: GatewayMetrics) => snapshotOf(await metrics.registry.getMetricsAsJSON());

describe("histogramQuantile (as Prometheus' histogram_quantile)", () => {
  // Bounds 1, 2, 4 s; per bucket 2, 4, 2 observations and 2 above every bound.
  const histogram: Histogram = { bounds: [1, 2, 4], counts: [2, 6, 8, 10] };

  it("interpolates linearly inside the bucket that holds the rank", () => {
    expect(histogramQuantile(0.1, histogram)).toBe(0.5); // rank 1 of the 2 in (0, 1]
    expect(histogramQuantile(0.5, histogram)).toBe(1.75); // rank 5: 3rd of the 4 in (1, 2]
    expect(histogramQuantile(0.75, histogram)).toBe(3.5); // rank 7.5: 1.5 of the 2 in (2, 4]
    expect(histogramQuantile(0.6, histogram)).toBe(2); // rank 6: the top of (1, 2]
  });

  it("answers the highest finite bound for a rank above it, and null when empty", () => {
    expect(histogramQuantile(0.99, histogram)).toBe(4);
    expect(histogramQuantile(0.5, { bounds: [1, 2], counts: [0, 0, 0] })).toBeNull();
  });

  it("reads the gateway's own buckets", async () => {
    const metrics = quiet();
    const record = metrics.stepRecorder("g", "s");
    for (let i = 0; i < 3; i++) record(0.0003, true); // (0.25 ms, 0.5 ms]
    record(0.003, true); // (2.5 ms, 5 ms]
    const step = (await snapshot(metrics)).get("g")?.steps.get("s");

    expect(step?.latency.counts.slice(0, 6)).toEqual([0, 0, 3, 3, 3, 4]);
    expect(histogramQuantile(0.5, step?.latency as Histogram)).toBeCloseTo(0.00025 + 0.00025 * (2 / 3), 15);
    expect(histogramQuantile(0.99, step?.latency as Histogram)).toBeCloseTo(0.0025 + 0.0025 * 0.96, 15);
  });
});

describe("histogramDelta", () => {
  it("subtracts bucket by bucket", () => {
    expect(
      histogramDelta({ bounds: [1, 2], counts: [1, 3, 4] }, { bounds: [1, 2], counts: [3, 6, 9] }),
    ).toEqual({
      bounds: [1, 2],
      counts: [2, 3, 5],
    });
  });

  it("takes a smaller total as a restart: all it holds now is new", () => {
    const after = { bounds: [1, 2], counts: [1, 1, 2] };
    expect(histogramDelta({ bounds: [1, 2], counts: [3, 6, 9] }, after)).toBe(after);
  });
});

describe("StatsWindow", () => {
  it("gives totals on the first poll, then rates and quantiles over the interval", async () => {
    const metrics = quiet();
    const window = new StatsWindow(5000, 250);
    const meters = metrics.graphMeters("g");
    const record = metrics.stepRecorder("g", "score");

    const first = window.next(await snapshot(metrics), 0);
    expect(first).toEqual({
      at: "1970-01-01T00:00:00.000Z",
      intervalSeconds: null,
      graphs: {
        g: {
          requests: 0,
          errors: 0,
          outcomes: { ok: 0, client_error: 0, error: 0, timeout: 0 },
          requestsPerSecond: null,
          errorsPerSecond: null,
          inFlight: 0,
          p50Ms: null,
          p99Ms: null,
          steps: {
            score: {
              runs: 0,
              errors: 0,
              runsPerSecond: null,
              errorsPerSecond: null,
              p50Ms: null,
              p99Ms: null,
            },
          },
          breakers: {},
        },
      },
    });

    for (let i = 0; i < 10; i++) record(0.0003, true);
    record(0.003, false);
    record(0.003, false);
    meters.ok.inc(8);
    meters.clientError.inc(2);
    meters.error.inc();
    meters.timeout.inc();
    meters.inFlight.inc();
    for (let i = 0; i < 4; i++) meters.latency.observe(0.02); // (10 ms, 25 ms]
    metrics.breakerRecorder("g", "http://scorer:8080")("open");

    const second = window.next(await snapshot(metrics), 2000);
    const g = second.graphs.g;
    expect(second.intervalSeconds).toBe(2);
    expect(g).toMatchObject({
      requests: 12,
      errors: 2, // error and timeout; the two client errors are the callers'
      requestsPerSecond: 6,
      errorsPerSecond: 1,
      inFlight: 1,
      breakers: { "http://scorer:8080": "open" },
    });
    expect(g?.p50Ms).toBeCloseTo(10 + 15 * (2 / 4), 9);
    expect(g?.p99Ms).toBeCloseTo(10 + 15 * (3.96 / 4), 9);
    const score = g?.steps.score;
    expect(score).toMatchObject({ runs: 12, errors: 2, runsPerSecond: 6, errorsPerSecond: 1 });
    // 12 runs: 10 in (0.25 ms, 0.5 ms], 2 in (2.5 ms, 5 ms]. Rank 6 and rank 11.88.
    expect(score?.p50Ms).toBeCloseTo(0.25 + 0.25 * (6 / 10), 9);
    expect(score?.p99Ms).toBeCloseTo(2.5 + 2.5 * (1.88 / 2), 9);

    // Still within 5 s of the first poll: compared with it.
    expect(window.next(await snapshot(metrics), 4000).graphs.g?.steps.score?.runsPerSecond).toBe(3);

    // Now the poll at 2 s is the newest one at least 5 s old: nothing ran since.
    const idle = window.next(await snapshot(metrics), 7500);
    expect(idle.intervalSeconds).toBe(5.5);
    expect(idle.graphs.g?.steps.score).toMatchObject({
      runs: 12,
      runsPerSecond: 0,
      p50Ms: null,
      p99Ms: null,
    });
  });

  it("does not keep polls closer together than its gap", async () => {
    const metrics = quiet();
    const record = metrics.stepRecorder("g", "s");
    const window = new StatsWindow(1000, 250);
    window.next(await snapshot(metrics), 0);
    record(0.001, true);
    window.next(await snapshot(metrics), 100); // not kept: 100 ms after the last kept one
    record(0.001, true);

    const later = window.next(await snapshot(metrics), 1500);

    // Compared with the poll at 0 (the one at 100 ms was dropped): both runs count.
    expect(later.intervalSeconds).toBe(1.5);
    expect(later.graphs.g?.steps.s?.runsPerSecond).toBeCloseTo(2 / 1.5, 12);
  });

  it("takes counters that went down as restarted (a replaced worker)", async () => {
    const before = quiet();
    before.graphMeters("g").ok.inc(10);
    const window = new StatsWindow();
    window.next(await snapshot(before), 0);
    const after = quiet();
    after.graphMeters("g").ok.inc(3);

    expect(window.next(await snapshot(after), 1000).graphs.g?.requestsPerSecond).toBe(3);
  });
});

describe("stats of a cluster", () => {
  it("sum the workers' counters and histograms, and show the worst breaker", async () => {
    const one = quiet();
    const two = quiet();
    one.graphMeters("g").ok.inc(2);
    two.graphMeters("g").ok.inc(3);
    one.stepRecorder("g", "s")(0.0003, true);
    two.stepRecorder("g", "s")(0.0003, false);
    one.breakerRecorder("g", "http://a")("half-open");
    two.breakerRecorder("g", "http://a")("half-open");
    one.breakerRecorder("g", "http://b")("closed");
    two.breakerRecorder("g", "http://b")("open");

    const merged = await AggregatorRegistry.aggregate([
      await one.registry.getMetricsAsJSON(),
      await two.registry.getMetricsAsJSON(),
    ]).getMetricsAsJSON();
    const stats = new StatsWindow().next(snapshotOf(merged), 0).graphs.g;

    expect(stats).toMatchObject({
      requests: 5,
      steps: { s: { runs: 2, errors: 1 } },
      // Two half-open breakers are half-open, not a sum that reads as open.
      breakers: { "http://a": "half-open", "http://b": "open" },
    });
  });
});
