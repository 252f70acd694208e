/**
 * Two servers on one shared core, loaded at the same time by two autocannon processes with
 * the same settings on the other cores.
 *
 * On a shared 2-core machine the suite's alternating rounds swing by ±10% from one run to the
 * next. Here whatever slows the machine slows both servers alike, and with both always
 * runnable the kernel gives each half the core: their requests/s ratio is then the ratio of
 * what each can serve on equal CPU, and holds to about ±2% from round to round.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { type Served, servePinned } from "./child.js";
import { requestBody } from "./load.js";
import { median } from "./measure.js";
import type { Figure } from "./scenario.js";

export interface OneCoreSettings {
  /** The path both are loaded on (the bare baseline answers any path). */
  path?: string;
  body?: string;
  rounds?: number;
  seconds?: number;
  /** Called with a line per round. */
  report?: (line: string) => void;
}

export interface OneCoreRound {
  /** Requests/s of each server. */
  rpsA: number;
  rpsB: number;
  /** CPU seconds per request of each server. */
  cpuA: number;
  cpuB: number;
  /** p99 latency of each, in ms. */
  p99A: number;
  p99B: number;
}

export interface OneCoreResult {
  rounds: OneCoreRound[];
  /** Medians over the rounds. */
  rpsRatio: number;
  cpuRatio: number;
  p99Ratio: number;
  rpsA: number;
  rpsB: number;
}

const require = createRequire(import.meta.url);

/** Runs `commandA` and `commandB` (each must print its `http://127.0.0.1:<port>`) and loads both at once. */
export async function oneCore(
  commandA: string,
  commandB: string,
  settings: OneCoreSettings = {},
): Promise<OneCoreResult> {
  const cores = availableParallelism();
  if (cores < 2) throw new Error("one-core needs 2 cores: one for the servers, the others for the load");
  const pins = { server: String(cores - 1), load: `0-${cores - 2}` };
  const { path = "/", body = requestBody, rounds = 4, seconds = 8, report = () => {} } = settings;
  const children: ChildProcess[] = [];
  const servers: Served[] = [];
  try {
    const a = await servePinned(commandA, pins.server);
    servers.push(a);
    const b = await servePinned(commandB, pins.server);
    servers.push(b);
    const load = (url: string, duration: number) =>
      autocannon(url + path, body, duration, pins.load, children);
    await Promise.all([load(a.url, 3), load(b.url, 3)]); // warm-up
    const results: OneCoreRound[] = [];
    for (let round = 1; round <= rounds; round++) {
      const before = [await a.cpuSeconds(), await b.cpuSeconds()] as const;
      const [la, lb] = await Promise.all([load(a.url, seconds), load(b.url, seconds)]);
      const r: OneCoreRound = {
        rpsA: la.requests / seconds,
        rpsB: lb.requests / seconds,
        cpuA: ((await a.cpuSeconds()) - before[0]) / la.requests,
        cpuB: ((await b.cpuSeconds()) - before[1]) / lb.requests,
        p99A: la.p99,
        p99B: lb.p99,
      };
      results.push(r);
      const us = (s: number) => `${(s * 1e6).toFixed(1)} µs`;
      report(
        `round ${round}: A ${Math.round(r.rpsA)} req/s ${us(r.cpuA)}/request | B ${Math.round(r.rpsB)} req/s ` +
          `${us(r.cpuB)}/request | B/A req/s ${(r.rpsB / r.rpsA).toFixed(3)}, CPU ${(r.cpuB / r.cpuA).toFixed(3)}`,
      );
    }
    return {
      rounds: results,
      rpsRatio: median(results.map((r) => r.rpsB / r.rpsA)),
      cpuRatio: median(results.map((r) => r.cpuB / r.cpuA)),
      p99Ratio: median(results.map((r) => r.p99B / r.p99A)),
      rpsA: median(results.map((r) => r.rpsA)),
      rpsB: median(results.map((r) => r.rpsB)),
    };
  } finally {
    for (const child of children) child.kill("SIGKILL");
    await Promise.all(servers.map((s) => s.stop()));
  }
}

/**
 * The rows of a scenario measured on one core (`oneCore`, `baseline` as A, `subject` as B):
 * req/s (against `ratioAtLeast`), p99 latency (at most 1.3x) and CPU per request.
 */
export async function oneCoreFigures(
  name: string,
  baseline: string,
  subject: string,
  path: string,
  ratioAtLeast: number,
): Promise<Figure[]> {
  const r = await oneCore(baseline, subject, {
    path,
    report: (line) => process.stderr.write(`  one core: ${line}\n`),
  });
  const row = (
    what: string,
    unit: string,
    b: (round: OneCoreRound) => number,
    a: (round: OneCoreRound) => number,
  ) => ({
    name: `${name}: ${what}, both on one core at once`,
    unit,
    subject: median(r.rounds.map(b)),
    baseline: median(r.rounds.map(a)),
  });
  return [
    {
      ...row(
        "req/s",
        "req/s",
        (x) => x.rpsB,
        (x) => x.rpsA,
      ),
      ratio: r.rpsRatio,
      bar: { ratioAtLeast },
    },
    {
      ...row(
        "p99 latency",
        "ms",
        (x) => x.p99B,
        (x) => x.p99A,
      ),
      ratio: r.p99Ratio,
      bar: { ratioAtMost: 1.3 },
    },
    {
      ...row(
        "CPU per request",
        "µs",
        (x) => x.cpuB * 1e6,
        (x) => x.cpuA * 1e6,
      ),
      ratio: r.cpuRatio,
      bar: {},
    },
  ];
}

/** autocannon as its own process on the load cores; resolves to the requests it completed and their p99. */
function autocannon(url: string, body: string, seconds: number, cores: string, children: ChildProcess[]) {
  const cli = require.resolve("autocannon/autocannon.js");
  const args = ["-c", cores, process.execPath, cli, "-j", "-c", "50", "-d", String(seconds), "-m", "POST"];
  args.push("-H", "content-type=application/json", "-b", body, url);
  const child = spawn("taskset", args, { stdio: ["ignore", "pipe", "ignore"] });
  children.push(child);
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d;
  });
  return new Promise<{ requests: number; p99: number }>((resolve, reject) =>
    child.once("exit", () => {
      try {
        const result = JSON.parse(out) as {
          requests: { total: number };
          latency: { p99: number };
          non2xx: number;
          errors: number;
        };
        if (result.non2xx || result.errors)
          throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors`);
        resolve({ requests: result.requests.total, p99: result.latency.p99 });
      } catch (error) {
        reject(new Error(`load on ${url} failed: ${(error as Error).message}`));
      }
    }),
  );
}
