/** HTTP load with autocannon's Node API: one set of settings for every contender. */
import autocannon from "autocannon";
import { median } from "./measure.js";
import { cpuTimes, whenQuiet } from "./quiet.js";
import type { Bar, Figure, Measured } from "./scenario.js";

/** What every gateway scenario sends: a small OIP infer request, valid JSON for any graph. */
export const requestBody = JSON.stringify({
  id: "bench-1",
  inputs: [{ name: "features", shape: [1, 4], datatype: "FP32", data: [5.1, 3.5, 1.4, 0.2] }],
});

const seconds = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

/** Identical for both sides of a comparison; the env overrides are for short trial runs. */
export const loadSettings = {
  connections: 50,
  pipelining: 1,
  roundSeconds: seconds("SLUICE_BENCH_ROUND_SECONDS", 5),
  rounds: seconds("SLUICE_BENCH_ROUNDS", 5),
  warmupSeconds: 2,
};

export interface Load {
  /** Completed requests per second over the whole round. */
  rps: number;
  /** Latency percentiles in ms, exact (autocannon's own are whole milliseconds). */
  p50: number;
  p99: number;
  /** Server CPU time per request in µs, when the contender can tell (NaN otherwise). */
  cpuUs: number;
  /** Cores kept busy by other processes than the server and the bench during the round. */
  othersCores: number;
}

/** A server to load: its URL, and its CPU clock when it is one process we can read. */
export interface Contender {
  url: string;
  cpuSeconds?: () => Promise<number>;
  /** Loads it for `seconds` in another way than autocannon on `url` (gRPC: bench/lib/grpc.ts). */
  load?: (seconds: number) => Promise<Load>;
}

/** How a load departs from the suite's settings: a fixed rate, fewer connections, another body. */
export interface LoadOptions {
  overallRate?: number;
  connections?: number;
  /** The request body (default `requestBody`); a Buffer for binary ones. */
  body?: string | Buffer;
  /** The request's headers (default `content-type: application/json`). */
  headers?: Record<string, string>;
  /** How long a request may take before it counts as a timeout (autocannon's default: 10 s). */
  timeoutSeconds?: number;
}

/**
 * Loads `url` for `duration` seconds, as fast as the server answers or at `overallRate` (which
 * autocannon spends as a budget per connection per second: bursts, not evenly spaced arrivals).
 * Any non-2xx answer, socket error or timeout fails loudly: a figure made of errors would be a
 * fast way to say nothing. With `cpuSeconds`, the server's CPU clock is read around the round:
 * CPU per request is the figure least moved by other work on a shared machine, since
 * contention stretches the wall clock, not the CPU a request needs.
 */
export async function load(
  url: string,
  duration: number,
  options: LoadOptions & { cpuSeconds?: () => Promise<number> } = {},
): Promise<Load> {
  const cpuBefore = await options.cpuSeconds?.();
  const machineBefore = await cpuTimes();
  const benchBefore = process.cpuUsage();
  const instance = autocannon({
    url,
    method: "POST",
    headers: options.headers ?? { "content-type": "application/json" },
    body: options.body ?? requestBody,
    connections: options.connections ?? loadSettings.connections,
    pipelining: loadSettings.pipelining,
    duration,
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    ...(options.timeoutSeconds ? { timeout: options.timeoutSeconds } : {}),
  });
  // autocannon's histogram keeps whole milliseconds: at 8-12 ms a p99 ratio then moves in steps
  // of 10%. Every answer's own latency gives the percentiles exactly.
  const latencies: number[] = [];
  instance.on("response", (_client, _status, _bytes, ms) => latencies.push(ms));
  const result = await instance;
  if (result.non2xx || result.errors || result.timeouts) {
    throw new Error(
      `load on ${url}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts ` +
        `(status codes: ${JSON.stringify(result.statusCodeStats)})`,
    );
  }
  const cpuAfter = await options.cpuSeconds?.();
  const machineAfter = await cpuTimes();
  const bench = process.cpuUsage(benchBefore);
  const answered = result.requests.total;
  if (answered === 0) throw new Error(`load on ${url}: no request was answered`);
  const server = cpuBefore === undefined || cpuAfter === undefined ? Number.NaN : cpuAfter - cpuBefore;
  // Ticks are 1/100 s across all cores: what neither the server nor the bench used, others did.
  const machineBusy = (machineAfter.busy - machineBefore.busy) / 100;
  const others = machineBusy - (Number.isNaN(server) ? 0 : server) - (bench.user + bench.system) / 1e6;
  return {
    rps: answered / result.duration,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuUs: (server * 1e6) / answered,
    othersCores: others / result.duration,
  };
}

/** Subject over baseline for each figure: the median of the rounds' own ratios. */
export interface Ratios {
  rps: number;
  p50: number;
  p99: number;
  cpuUs: number;
}

/**
 * Loads two servers (autocannon on each `url`, or a contender's own `load`) in alternating
 * rounds after a warm-up of each, and returns the median of every figure per side, and of every
 * ratio per round. The order flips each round (A B, B A, A B...) so neither side always runs on
 * the machine the other has just heated. A round's two
 * loads run back to back, so its ratio sees one state of a shared machine: the median of those
 * ratios moves less between runs than the ratio of the two medians.
 */
export async function sideBySideHttp(
  subject: Contender,
  baseline: Contender,
  options: LoadOptions = {},
): Promise<{ subject: Load; baseline: Load; ratios: Ratios }> {
  const { roundSeconds, rounds, warmupSeconds } = loadSettings;
  const run = (c: Contender, seconds: number, cpuSeconds?: () => Promise<number>) =>
    c.load ? c.load(seconds) : load(c.url, seconds, { ...options, cpuSeconds });
  await run(subject, warmupSeconds);
  await run(baseline, warmupSeconds);
  const once = async (c: Contender) => {
    await whenQuiet();
    return run(c, roundSeconds, c.cpuSeconds);
  };
  const s: Load[] = [];
  const b: Load[] = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      s.push(await once(subject));
      b.push(await once(baseline));
    } else {
      b.push(await once(baseline));
      s.push(await once(subject));
    }
  }
  // Every round on stderr: on a shared machine the spread says how far to trust a median.
  const rates = (loads: Load[]) => loads.map((l) => Math.round(l.rps)).join(" ");
  const others = (loads: Load[]) => loads.map((l) => l.othersCores.toFixed(1)).join(" ");
  process.stderr.write(
    `  req/s per round: subject ${rates(s)} | baseline ${rates(b)}; ` +
      `cores busy with other work: ${others(s)} | ${others(b)}\n`,
  );
  return { subject: medians(s), baseline: medians(b), ratios: roundRatios(s, b) };
}

/** Subject over baseline per figure: the median of each round's own ratio (round i of both sides). */
export function roundRatios(subject: Load[], baseline: Load[]): Ratios {
  const ratio = (figure: (l: Load) => number) =>
    median(subject.map((l, i) => figure(l) / figure(baseline[i] as Load)));
  return {
    rps: ratio((l) => l.rps),
    p50: ratio((l) => l.p50),
    p99: ratio((l) => l.p99),
    cpuUs: ratio((l) => l.cpuUs),
  };
}

/** The nearest-rank percentile of `values` (sorted in place). */
function percentile(values: number[], p: number): number {
  values.sort((a, b) => a - b);
  return values[Math.max(0, Math.ceil((p / 100) * values.length) - 1)] ?? Number.NaN;
}

/**
 * A side-by-side run as table rows: req/s as the headline (its bar is the scenario's), p99
 * latency and server CPU per request as more rows of the same rounds (CPU per request holds
 * steadier than req/s when others share the machine). Ratios are the rounds' own (medians).
 */
export function httpFigures(
  name: string,
  r: { subject: Load; baseline: Load; ratios: Ratios },
  p99Bar: Bar = {},
): Measured & { more: Figure[] } {
  const { subject: s, baseline: b, ratios } = r;
  const row = (what: string, unit: string, subject: number, baseline: number, ratio: number, bar: Bar) => ({
    name: `${name}: ${what}`,
    unit,
    subject,
    baseline,
    ratio,
    bar,
  });
  return {
    subject: s.rps,
    baseline: b.rps,
    ratio: ratios.rps,
    more: [
      row("p99 latency", "ms", s.p99, b.p99, ratios.p99, p99Bar),
      row("CPU per request", "µs", s.cpuUs, b.cpuUs, ratios.cpuUs, {}),
    ],
  };
}

/** Each figure's median over the rounds. */
export function medians(loads: Load[]): Load {
  return {
    rps: median(loads.map((l) => l.rps)),
    p50: median(loads.map((l) => l.p50)),
    p99: median(loads.map((l) => l.p99)),
    cpuUs: median(loads.map((l) => l.cpuUs)),
    othersCores: median(loads.map((l) => l.othersCores)),
  };
}
