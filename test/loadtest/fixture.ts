import type { AutocannonResult } from "../../src/loadtest/autocannon.js";
import {
  type BenchReport,
  LatencyHistogram,
  type RunResult,
  type Summary,
} from "../../src/loadtest/index.js";

/** A summary with round figures; `over` replaces some of them. */
export function summary(over: Partial<Summary> = {}): Summary {
  return {
    requests: 10_000,
    requestsPerSecond: 5_000,
    throughputBytesPerSecond: 1_048_576,
    latencyMs: { mean: 1, p50: 0.8, p90: 1.5, p99: 4, p99_9: 9, max: 12 },
    errors: 0,
    timeouts: 0,
    non2xx: 0,
    statusCodes: { "200": 10_000 },
    durationSeconds: 2,
    ...over,
  };
}

/** A run of two seconds whose latencies spread from 0.2 ms to 12 ms. */
export function run(label: string, over: Partial<Summary> = {}): RunResult {
  const latency = new LatencyHistogram();
  for (let i = 1; i <= 1000; i++) latency.record(0.2 + (i % 100) / 20 + (i === 1000 ? 7 : 0));
  return {
    label,
    url: "http://127.0.0.1:8080/",
    summary: summary(over),
    seconds: [
      { atSecond: 1, requests: 4_800, requestsPerSecond: 4_800, p99Ms: 4.5, non2xx: 0, errors: 0 },
      { atSecond: 2, requests: 5_200, requestsPerSecond: 5_200, p99Ms: 3.5, non2xx: 0, errors: 0 },
    ],
    histogram: latency.toJSON(),
    autocannon: {} as AutocannonResult,
  };
}

/** A whole report, with a baseline unless asked not to. */
export function report(options: { baseline?: boolean; target?: Partial<Summary> } = {}): BenchReport {
  const withBaseline = options.baseline !== false;
  return {
    tool: "sluice bench",
    formatVersion: 1,
    sluiceVersion: "0.1.0",
    date: "2026-01-02T03:04:05.000Z",
    machine: { node: "v20.18.1", platform: "linux x64", cpus: 2, cpuModel: "Test CPU" },
    settings: {
      target: "examples/enrichment/graph.yaml",
      kind: "graph",
      workers: 1,
      method: "POST",
      path: "/",
      headers: { "content-type": "application/json" },
      body: { source: "--body", bytes: 13, preview: '{"user":"u1"}' },
      connections: 7,
      pipelining: 1,
      duration: "2s",
      warmup: "1s",
      timeout: "10s",
      baseline: withBaseline,
    },
    target: run("sluice", options.target),
    ...(withBaseline
      ? {
          baseline: run("baseline", { requestsPerSecond: 10_000 }),
          ratio: { requestsPerSecond: 0.5, p99: 2 },
        }
      : {}),
  };
}
