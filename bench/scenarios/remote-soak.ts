/**
 * The remote soak (only when asked: it takes minutes): `sluice serve` with two graphs, one
 * whose remote step calls a flapping dependency (remote-flaky.mjs: healthy, 503s, hanging,
 * resetting, 10 s each) and one that calls nothing. Both are loaded at a fixed rate for the
 * whole run. Memory must stay flat (the breaker, bulkhead and retries hold nothing per
 * failure), and the other graph must stay responsive (and never fail) throughout.
 */
import { setTimeout as sleep } from "node:timers/promises";
import autocannon from "autocannon";
import { serveScript, serveSluice, withServer } from "../lib/child.js";
import { type Load, load, requestBody } from "../lib/load.js";
import type { Figure, Scenario } from "../lib/scenario.js";
import { graphFile } from "./remote.js";

const soakSeconds = Number(process.env.SLUICE_BENCH_REMOTE_SOAK_SECONDS ?? 180);
const warmupSeconds = Number(process.env.SLUICE_BENCH_REMOTE_SOAK_WARMUP_SECONDS ?? 30);
const phaseSeconds = 10;
// One window is a whole flapping cycle (6 phases), so both see every phase once.
const windowSeconds = Math.min(6 * phaseSeconds, soakSeconds / 3);
const rate = 300;
const sampleSeconds = 5;

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** Load on the flapping graph: errors are expected there, so they are counted, not thrown. */
async function flakyLoad(url: string, seconds: number) {
  const result = await autocannon({
    url,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: requestBody,
    connections: 50,
    duration: seconds,
    overallRate: rate,
  });
  return {
    answered: result.requests.total,
    socketErrors: result.errors,
    timeouts: result.timeouts,
    statuses: Object.fromEntries(Object.entries(result.statusCodeStats).map(([k, v]) => [k, v.count])),
    p99: result.latency.p99,
  };
}

const name = `remote soak: RSS with a flapping dependency, last vs first ${windowSeconds} s of ${soakSeconds} s`;

export const remoteSoakScenarios: Scenario[] = [
  {
    name,
    unit: "MB",
    bar: { ratioAtMost: 1.1 },
    onlyWhenAsked: true,
    run: () =>
      withServer(
        serveScript(
          "bench/scenarios/remote-flaky.mjs",
          [String(phaseSeconds)],
          /flaky: serving on (http:\/\/\S+)/,
        ),
        async (flaky) => {
          const flakyGraph = await graphFile(
            "flaky",
            [
              `    call: {kind: remote, url: "${flaky.url}/", timeout: 250ms, retries: 2,`,
              "           backoff: {initial: 20ms, max: 200ms},",
              "           breaker: {volumeThreshold: 20, resetTimeout: 2s},",
              "           target: {maxConcurrency: 64, maxQueue: 64}}",
            ].join("\n"),
          );
          const steadyGraph = await graphFile("steady", `    echo: {handler: "builtin:echo"}`);
          return withServer(serveSluice([flakyGraph, steadyGraph]), async (sluice) => {
            const steadyUrl = `${sluice.url}/graphs/steady/echo`;
            const flakyUrl = `${sluice.url}/graphs/flaky/score`;
            // The steady graph alone first: what "responsive" means on this machine.
            const calm = await load(steadyUrl, 15, { overallRate: rate });

            await Promise.all([
              flakyLoad(flakyUrl, warmupSeconds),
              load(steadyUrl, warmupSeconds, { overallRate: rate }),
            ]);
            const samples: { at: number; mb: number }[] = [];
            const started = performance.now();
            const sample = () => {
              const at = (performance.now() - started) / 1000;
              sluice.rssMb().then((mb) => samples.push({ at, mb }));
            };
            sample();
            const timer = setInterval(sample, sampleSeconds * 1000);
            let flapping: Awaited<ReturnType<typeof flakyLoad>>;
            let steady: Load;
            try {
              // `load` throws on any non-2xx: the steady graph must never fail.
              [flapping, steady] = await Promise.all([
                flakyLoad(flakyUrl, soakSeconds),
                load(steadyUrl, soakSeconds, { overallRate: rate }),
              ]);
            } finally {
              clearInterval(timer);
            }
            await sleep(100);
            const first = samples.filter((s) => s.at <= windowSeconds + 1).map((s) => s.mb);
            const last = samples.filter((s) => s.at >= soakSeconds - windowSeconds - 1).map((s) => s.mb);
            process.stderr.write(
              `  RSS samples (MB): ${samples.map((s) => s.mb.toFixed(1)).join(" ")}\n` +
                `  flaky graph: ${JSON.stringify(flapping)}\n` +
                `  steady graph: calm p50 ${calm.p50} p99 ${calm.p99} ms; flapping p50 ${steady.p50} p99 ${steady.p99} ms, ${steady.rps.toFixed(0)} req/s\n`,
            );
            const unanswered = flapping.timeouts + flapping.socketErrors;
            const more: Figure[] = [
              {
                // Measured in the same run as calm, so machine noise hits both; a graph held up
                // by the other's dependency would wait for seconds, not milliseconds.
                name: "remote soak: other graph's p99 latency, flapping vs calm",
                unit: "ms",
                subject: steady.p99,
                baseline: calm.p99,
                ratio: steady.p99 / calm.p99,
                bar: { ratioAtMost: 2 },
              },
              {
                name: "remote soak: other graph's rate, vs the rate offered",
                unit: "req/s",
                subject: steady.rps,
                baseline: rate,
                ratio: steady.rps / rate,
                bar: { ratioAtLeast: 0.95 },
              },
              {
                // Failures are answered fast (timeout 250 ms, retries within it), not piled up.
                name: "remote soak: flapping graph's p99 latency (timeout 250 ms)",
                unit: "ms",
                subject: flapping.p99,
                baseline: Number.NaN,
                ratio: Number.NaN,
                bar: { subjectBelow: 1000 },
              },
              {
                name: "remote soak: flapping graph's requests left unanswered (client timeouts, socket errors)",
                unit: "req",
                subject: unanswered,
                baseline: Number.NaN,
                ratio: Number.NaN,
                bar: { subjectBelow: 1 },
              },
            ];
            const subject = mean(last);
            const baseline = mean(first);
            return { subject, baseline, ratio: subject / baseline, more };
          });
        },
      ),
  },
];
