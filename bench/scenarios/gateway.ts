/**
 * `sluice serve` over real sockets against a bare `node:http` server, both child processes
 * loaded by autocannon with the same settings and body (bench/lib/load.ts).
 */
import { serveBare, serveSluice, withServer } from "../lib/child.js";
import { httpFigures, sideBySideHttp } from "../lib/load.js";
import { oneCore, oneCoreFigures } from "../lib/one-core.js";
import type { Figure, Scenario } from "../lib/scenario.js";

/**
 * The same comparison with both servers pinned to one core and loaded at once
 * (bench/lib/one-core.ts): machine noise then hits both alike, where the alternating rounds
 * swing by ±10% between runs on a shared 2-core machine.
 */
async function onOneCore(name: string, graph: string, path: string, ratioAtLeast: number): Promise<Figure[]> {
  const sluice = `node bin/sluice.js serve ${graph} --port 0 --admin-port 0`;
  const r = await oneCore("node bench/lib/bare-server.mjs", sluice, {
    path,
    report: (line) => process.stderr.write(`  one core: ${line}\n`),
  });
  return oneCoreFigures(name, r, { rps: { ratioAtLeast }, p99: { ratioAtMost: 1.3 } });
}

function versusBare(name: string, graph: string, path: string, ratioAtLeast: number): Scenario {
  return {
    name,
    unit: "req/s",
    bar: { ratioAtLeast },
    run: async () => {
      const alternating = await withServer(serveSluice([graph]), (sluice) =>
        withServer(serveBare(), async (bare) =>
          httpFigures(
            name,
            await sideBySideHttp(
              { url: sluice.url + path, cpuSeconds: sluice.cpuSeconds },
              { url: bare.url + path, cpuSeconds: bare.cpuSeconds },
            ),
            { ratioAtMost: 1.3 },
          ),
        ),
      );
      alternating.more.push(...(await onOneCore(name, graph, path, ratioAtLeast)));
      return alternating;
    },
  };
}

export const gatewayScenarios: Scenario[] = [
  versusBare("gateway: 1-step graph vs bare node:http", "bench/graphs/one-step.yaml", "/", 0.8),
  versusBare("gateway: 5-step graph vs bare node:http", "bench/graphs/five-step.yaml", "/", 0.7),
  versusBare(
    "gateway: OIP infer, trivial model, vs bare node:http",
    "bench/graphs/oip-echo.yaml",
    "/v2/models/echo/infer",
    0.75,
  ),
  {
    // Two server processes and autocannon share this machine's cores: the ratio says how
    // much a second worker buys here, not how sluice scales on a machine of its own.
    name: "gateway: --workers 2 vs --workers 1 (1-step graph)",
    unit: "req/s",
    bar: {},
    run: () =>
      withServer(serveSluice(["bench/graphs/one-step.yaml"], ["--workers", "2"]), (two) =>
        withServer(serveSluice(["bench/graphs/one-step.yaml"], ["--workers", "1"]), async (one) => {
          const { subject, baseline, ratios } = await sideBySideHttp(
            { url: `${two.url}/`, cpuSeconds: two.cpuSeconds },
            { url: `${one.url}/`, cpuSeconds: one.cpuSeconds },
          );
          const cpu = {
            name: "gateway: --workers 2 vs --workers 1: CPU per request (all processes)",
            unit: "µs",
            subject: subject.cpuUs,
            baseline: baseline.cpuUs,
            ratio: ratios.cpuUs,
            bar: {},
          };
          return {
            subject: subject.rps,
            baseline: baseline.rps,
            ratio: ratios.rps,
            more: [cpu],
          };
        }),
      ),
  },
];
