/**
 * Adaptive batching (docs/batching.md): the same model with `batching` on and off, served by
 * one `sluice serve` (bench/graphs/batching.yaml) and loaded in alternating rounds.
 * - A model whose predict costs 2 ms a call plus 10 µs a row, on the CPU, at 50 connections:
 *   the throughput batching buys, and what it does to p99.
 * - A trivial model at a low, fixed rate: what batching costs when there is nothing to batch
 *   (each request waits up to max_batch_time, 2 ms, for company that does not come).
 */
import { serveSluice, withServer } from "../lib/child.js";
import { sideBySideHttp } from "../lib/load.js";
import type { Figure, Scenario } from "../lib/scenario.js";

const graph = "bench/graphs/batching.yaml";
const costly = "batching: fixed-cost model (2 ms a call + 10 µs a row), 50 connections, batching on vs off";
const trivial = "batching: trivial model at 200 req/s over 4 connections, batching on vs off";

export const batchingScenarios: Scenario[] = [
  {
    name: costly,
    unit: "req/s",
    bar: { ratioAtLeast: 3 },
    run: () =>
      withServer(serveSluice([graph]), async (sluice) => {
        const on = { url: `${sluice.url}/v2/models/costly-batched/infer`, cpuSeconds: sluice.cpuSeconds };
        const off = { url: `${sluice.url}/v2/models/costly/infer`, cpuSeconds: sluice.cpuSeconds };
        const { subject, baseline, ratios } = await sideBySideHttp(on, off);
        const more: Figure[] = [
          row(costly, "p99 latency", "ms", subject.p99, baseline.p99, ratios.p99),
          row(costly, "CPU per request", "µs", subject.cpuUs, baseline.cpuUs, ratios.cpuUs),
        ];
        return { subject: subject.rps, baseline: baseline.rps, ratio: ratios.rps, more };
      }),
  },
  {
    name: trivial,
    unit: "ms",
    // The p50 a request pays is about max_batch_time (2 ms) on top of a sub-millisecond answer.
    bar: {},
    run: () =>
      withServer(serveSluice([graph]), async (sluice) => {
        const on = { url: `${sluice.url}/v2/models/echo-batched/infer`, cpuSeconds: sluice.cpuSeconds };
        const off = { url: `${sluice.url}/v2/models/echo/infer`, cpuSeconds: sluice.cpuSeconds };
        const { subject, baseline, ratios } = await sideBySideHttp(on, off, {
          overallRate: 200,
          connections: 4,
        });
        const more: Figure[] = [
          row(trivial, "p99 latency", "ms", subject.p99, baseline.p99, ratios.p99),
          row(trivial, "CPU per request", "µs", subject.cpuUs, baseline.cpuUs, ratios.cpuUs),
        ];
        return { subject: subject.p50, baseline: baseline.p50, ratio: ratios.p50, more };
      }),
  },
];

function row(
  name: string,
  what: string,
  unit: string,
  subject: number,
  baseline: number,
  ratio: number,
): Figure {
  return { name: `${name}: ${what}`, unit, subject, baseline, ratio, bar: {} };
}
