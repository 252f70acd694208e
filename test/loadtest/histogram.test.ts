import { describe, expect, it } from "vitest";
import { binsOf, LatencyHistogram } from "../../src/loadtest/index.js";

describe("the latency histogram", () => {
  it("answers percentiles within 1% from microseconds to seconds", () => {
    const histogram = new LatencyHistogram();
    // 0.01 ms to 1000 ms, evenly on a log scale: the q-quantile is 0.01 * 10^(5q).
    const n = 100_000;
    for (let i = 0; i < n; i++) histogram.record(0.01 * 10 ** ((5 * (i + 0.5)) / n));
    for (const q of [0.5, 0.9, 0.99, 0.999]) {
      const exact = 0.01 * 10 ** (5 * q);
      expect(Math.abs(histogram.quantile(q) - exact) / exact).toBeLessThan(0.01);
    }
    expect(histogram.count).toBe(n);
    expect(histogram.maxMs).toBeCloseTo(1000, 0);
  });

  it("keeps sub-millisecond detail that whole milliseconds would lose", () => {
    const histogram = new LatencyHistogram();
    for (let i = 0; i < 99; i++) histogram.record(0.3);
    histogram.record(0.9);
    expect(histogram.quantile(0.5)).toBeCloseTo(0.3, 2);
    expect(histogram.quantile(1)).toBeCloseTo(0.9, 2);
  });

  it("is 0 everywhere when nothing was recorded", () => {
    const histogram = new LatencyHistogram();
    expect([histogram.quantile(0.99), histogram.maxMs, histogram.meanMs]).toEqual([0, 0, 0]);
    expect(binsOf(histogram.toJSON())).toEqual([]);
  });

  it("groups its buckets into about 40 chart bins that keep every count", () => {
    const histogram = new LatencyHistogram();
    for (let i = 1; i <= 5000; i++) histogram.record(i / 100);
    const bins = binsOf(histogram.toJSON(), 40);
    expect(bins).toHaveLength(40);
    expect(bins.reduce((sum, b) => sum + b.count, 0)).toBe(5000);
    for (let i = 1; i < bins.length; i++) expect(bins[i]?.fromMs).toBeCloseTo(bins[i - 1]?.toMs ?? 0, 9);
  });
});
