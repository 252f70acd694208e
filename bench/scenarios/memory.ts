/**
 * Resident memory of the `sluice serve` process with the examples/inference graph: idle
 * after start, and across a long run at a fixed rate (the soak, only when asked).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { serveBare, serveSluice, withServer } from "../lib/child.js";
import { load } from "../lib/load.js";
import { median } from "../lib/measure.js";
import type { Scenario } from "../lib/scenario.js";

const graph = "examples/inference/graph.yaml";
const inferPath = "/v2/models/iris/infer";
const irisRequest = JSON.stringify({
  id: "soak",
  inputs: [
    { name: "features", shape: [2, 4], datatype: "FP32", data: [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3] },
  ],
});

const soakSeconds = Number(process.env.SLUICE_BENCH_SOAK_SECONDS ?? 300);
const soakRate = 500;
const sampleSeconds = 10;
// "The first and the last minute"; a shortened trial compares its first and last thirds.
const windowSeconds = Math.round(Math.min(60, soakSeconds / 3));
const warmupSeconds = 15;

/** Three readings a second apart after a settle, so a GC right at start does not decide. */
async function idleRss(rssMb: () => Promise<number>): Promise<number> {
  await sleep(2000);
  const readings: number[] = [];
  for (let i = 0; i < 3; i++) {
    readings.push(await rssMb());
    await sleep(1000);
  }
  return median(readings);
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

export const memoryScenarios: Scenario[] = [
  {
    name: "memory: idle RSS after start (examples/inference) vs bare node:http",
    unit: "MB",
    bar: { subjectBelow: 80 },
    run: () =>
      withServer(serveSluice([graph]), (sluice) =>
        withServer(serveBare(), async (bare) => {
          const subject = await idleRss(sluice.rssMb);
          const baseline = await idleRss(bare.rssMb);
          return { subject, baseline, ratio: subject / baseline };
        }),
      ),
  },
  {
    // The heap first grows to its working size: a warm-up at the same rate comes before the
    // first sample, so "flat" is about what happens after that (a leak), not about start-up.
    name: `memory: RSS at ${soakRate} req/s for ${soakSeconds} s, last vs first ${windowSeconds} s`,
    unit: "MB",
    bar: { ratioAtLeast: 0.9, ratioAtMost: 1.1 },
    onlyWhenAsked: true,
    run: () =>
      withServer(serveSluice([graph]), async (sluice) => {
        const url = sluice.url + inferPath;
        await load(url, warmupSeconds, { body: irisRequest, overallRate: soakRate });
        const samples: { at: number; mb: number }[] = [];
        const started = performance.now();
        const sample = () => {
          const at = (performance.now() - started) / 1000;
          // A server that died is reported by the load that fails; no unhandled rejection here.
          sluice.rssMb().then(
            (mb) => samples.push({ at, mb }),
            () => {},
          );
        };
        sample();
        const timer = setInterval(sample, sampleSeconds * 1000);
        let achieved: number;
        try {
          achieved = (await load(url, soakSeconds, { body: irisRequest, overallRate: soakRate })).rps;
        } finally {
          clearInterval(timer);
        }
        if (achieved < soakRate * 0.95) throw new Error(`the soak reached only ${achieved.toFixed(0)} req/s`);
        const first = samples.filter((s) => s.at <= windowSeconds + 1).map((s) => s.mb);
        const last = samples.filter((s) => s.at >= soakSeconds - windowSeconds - 1).map((s) => s.mb);
        if (first.length === 0 || last.length === 0) throw new Error("the soak is too short to compare");
        process.stderr.write(`RSS samples (MB): ${samples.map((s) => s.mb.toFixed(1)).join(" ")}\n`);
        const subject = mean(last);
        const baseline = mean(first);
        // GC makes RSS a sawtooth: the peak says how high it reached between the windows.
        const peak = Math.max(...samples.map((s) => s.mb));
        return {
          subject,
          baseline,
          ratio: subject / baseline,
          more: [
            {
              name: `memory: peak RSS in the ${soakSeconds} s soak`,
              unit: "MB",
              subject: peak,
              baseline,
              ratio: peak / baseline,
              bar: {},
            },
          ],
        };
      }),
  },
];
