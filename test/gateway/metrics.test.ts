import { AggregatorRegistry } from "prom-client";
import { describe, expect, it } from "vitest";
import { GatewayMetrics } from "../../src/gateway/metrics/index.js";

const quiet = () => new GatewayMetrics({ processMetrics: false });

describe("gateway metrics", () => {
  it("renders a graph's latency as a cumulative Prometheus histogram", async () => {
    const metrics = quiet();
    const meters = metrics.graphMeters("g");
    for (const seconds of [0.00005, 0.0002, 0.0002, 0.003, 20]) meters.latency.observe(seconds);

    const text = await metrics.registry.metrics();

    expect(text).toContain("# TYPE sluice_request_duration_seconds histogram");
    expect(text).toContain('sluice_request_duration_seconds_bucket{graph="g",le="0.0001"} 1');
    expect(text).toContain('sluice_request_duration_seconds_bucket{graph="g",le="0.00025"} 3');
    expect(text).toContain('sluice_request_duration_seconds_bucket{graph="g",le="0.005"} 4');
    expect(text).toContain('sluice_request_duration_seconds_bucket{graph="g",le="10"} 4');
    expect(text).toContain('sluice_request_duration_seconds_bucket{graph="g",le="+Inf"} 5');
    expect(text).toContain('sluice_request_duration_seconds_count{graph="g"} 5');
    expect(text).toMatch(/sluice_request_duration_seconds_sum\{graph="g"\} 20\.0034/);
  });

  it("counts steps and stream events by outcome, and requests in flight", async () => {
    const metrics = quiet();
    const record = metrics.stepRecorder("g", "enrich");
    record(0.001, true);
    record(0.002, true);
    record(0.003, false);
    const streams = metrics.streamRecorder("g");
    streams("orders", "ok");
    streams("orders", "dead_lettered");
    metrics.graphMeters("g").inFlight.inc();

    const text = await metrics.registry.metrics();

    expect(text).toContain('sluice_step_runs_total{graph="g",step="enrich",outcome="ok"} 2');
    expect(text).toContain('sluice_step_runs_total{graph="g",step="enrich",outcome="error"} 1');
    expect(text).toContain('sluice_step_duration_seconds_count{graph="g",step="enrich"} 3');
    expect(text).toContain('sluice_stream_events_total{graph="g",trigger="orders",outcome="ok"} 1');
    expect(text).toContain(
      'sluice_stream_events_total{graph="g",trigger="orders",outcome="dead_lettered"} 1',
    );
    expect(text).toContain('sluice_stream_events_total{graph="g",trigger="orders",outcome="retried"} 0');
    expect(text).toContain('sluice_requests_in_flight{graph="g"} 1');
  });

  it("sums the workers' figures when the cluster aggregates them", async () => {
    const one = quiet();
    const two = quiet();
    one.graphMeters("g").ok.inc(2);
    two.graphMeters("g").ok.inc(3);
    one.graphMeters("g").latency.observe(0.001);
    two.graphMeters("g").latency.observe(0.001);

    const merged = AggregatorRegistry.aggregate([
      await one.registry.getMetricsAsJSON(),
      await two.registry.getMetricsAsJSON(),
    ]);
    const text = await merged.metrics();

    expect(text).toContain('sluice_requests_total{graph="g",outcome="ok"} 5');
    expect(text).toContain('sluice_request_duration_seconds_bucket{graph="g",le="0.001"} 2');
    expect(text).toContain('sluice_request_duration_seconds_count{graph="g"} 2');
  });
});
