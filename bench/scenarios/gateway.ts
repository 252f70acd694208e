/**
 * `sluice serve` over real sockets against a bare `node:http` server, both child processes
 * loaded by autocannon with the same settings and body (bench/lib/load.ts).
 */
import { serveBare, serveSluice, withServer } from "../lib/child.js";
import { type Load, sideBySideHttp } from "../lib/load.js";
import type { Bar, Figure, Measured, Scenario } from "../lib/scenario.js";

/**
 * Requests/s as the headline; p99 latency and server CPU per request as more rows of the
 * same rounds (CPU per request holds steadier than req/s when others share the machine).
 */
function figures(name: string, r: { subject: Load; baseline: Load }): Measured & { more: Figure[] } {
  const { subject: s, baseline: b } = r;
  const row = (what: string, unit: string, subject: number, baseline: number, bar: Bar): Figure => ({
    name: `${name}: ${what}`,
    unit,
    subject,
    baseline,
    ratio: subject / baseline,
    bar,
  });
  return {
    subject: s.rps,
    baseline: b.rps,
    ratio: s.rps / b.rps,
    more: [
      row("p99 latency", "ms", s.p99, b.p99, { ratioAtMost: 1.3 }),
      row("CPU per request", "µs", s.cpuUs, b.cpuUs, {}),
    ],
  };
}

function versusBare(name: string, graph: string, path: string, ratioAtLeast: number): Scenario {
  return {
    name,
    unit: "req/s",
    bar: { ratioAtLeast },
    run: () =>
      withServer(serveSluice([graph]), (sluice) =>
        withServer(serveBare(), async (bare) =>
          figures(
            name,
            await sideBySideHttp(
              { url: sluice.url + path, cpuSeconds: sluice.cpuSeconds },
              { url: bare.url + path, cpuSeconds: bare.cpuSeconds },
            ),
          ),
        ),
      ),
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
          const { subject, baseline } = await sideBySideHttp(
            { url: `${two.url}/`, cpuSeconds: two.cpuSeconds },
            { url: `${one.url}/`, cpuSeconds: one.cpuSeconds },
          );
          const cpu = {
            name: "gateway: --workers 2 vs --workers 1: CPU per request (all processes)",
            unit: "µs",
            subject: subject.cpuUs,
            baseline: baseline.cpuUs,
            ratio: subject.cpuUs / baseline.cpuUs,
            bar: {},
          };
          return {
            subject: subject.rps,
            baseline: baseline.rps,
            ratio: subject.rps / baseline.rps,
            more: [cpu],
          };
        }),
      ),
  },
];
