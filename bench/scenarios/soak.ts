/**
 * The long soak of issue 16 (only when asked: `npm run bench -- "soak: mixed"`): `sluice serve`
 * with a graph that mixes step kinds (examples/enrichment: a function, a class with
 * input/result paths, a fan-out joined again, a step with a timeout, a built-in) under a fixed
 * rate for 10 minutes, cut into one-minute segments. RSS should not grow by more than 10% and
 * p99 should hold, last minute against first.
 */
import { serveSluice, withServer } from "../lib/child.js";
import { load } from "../lib/load.js";
import type { Scenario } from "../lib/scenario.js";

const graph = "examples/enrichment/graph.yaml";
const body = JSON.stringify({ user: "u1", amount: 250, country: "NL" });
const minutes = Number(process.env.SLUICE_BENCH_SOAK_MINUTES ?? 10);
const rate = 500;

export const soakScenarios: Scenario[] = [
  {
    name: `soak: mixed graph at ${rate} req/s for ${minutes} min, RSS last vs first minute`,
    unit: "MB",
    bar: { ratioAtMost: 1.1 },
    onlyWhenAsked: true,
    run: () =>
      withServer(serveSluice([graph]), async (sluice) => {
        const url = `${sluice.url}/`;
        // The heap first grows to its working size; the first minute measured starts after that.
        await load(url, 15, { body, overallRate: rate });
        const segments: { rss: number; p99: number; rps: number }[] = [];
        for (let minute = 0; minute < minutes; minute++) {
          const round = await load(url, 60, { body, overallRate: rate });
          segments.push({ rss: await sluice.rssMb(), p99: round.p99, rps: round.rps });
          process.stderr.write(
            `minute ${minute + 1}: ${round.rps.toFixed(0)} req/s, p99 ${round.p99.toFixed(1)} ms, RSS ${segments.at(-1)?.rss.toFixed(1)} MB\n`,
          );
        }
        const first = segments[0];
        const last = segments.at(-1);
        if (!first || !last) throw new Error("the soak ran no minute");
        const slowest = Math.min(...segments.map((s) => s.rps));
        if (slowest < rate * 0.95) throw new Error(`a minute reached only ${slowest.toFixed(0)} req/s`);
        return {
          subject: last.rss,
          baseline: first.rss,
          ratio: last.rss / first.rss,
          more: [
            {
              name: `soak: mixed graph, p99 latency last vs first minute`,
              unit: "ms",
              bar: { ratioAtMost: 1.3 },
              subject: last.p99,
              baseline: first.p99,
              ratio: last.p99 / first.p99,
            },
            {
              name: `soak: mixed graph, peak RSS over the ${minutes} minutes`,
              unit: "MB",
              bar: {},
              subject: Math.max(...segments.map((s) => s.rss)),
              baseline: first.rss,
              ratio: Math.max(...segments.map((s) => s.rss)) / first.rss,
            },
          ],
        };
      }),
  },
];
