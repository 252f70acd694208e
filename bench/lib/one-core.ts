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
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Served, servePinned } from "./child.js";
import { requestBody } from "./load.js";
import { median } from "./measure.js";
import type { Bar, Figure } from "./scenario.js";

export interface OneCoreSettings {
  /** The path both are loaded on (the bare baseline answers any path). */
  path?: string;
  /** The request body (default the suite's small OIP request); a Buffer for binary ones. */
  body?: string | Buffer;
  /** The request's headers (default `content-type: application/json`). */
  headers?: Record<string, string>;
  /** Connections of each load (50). */
  connections?: number;
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
const here = dirname(fileURLToPath(import.meta.url));

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
  // Bytes go through a file to a script of autocannon's API (its command line reads text only).
  const bodyDir = typeof body === "string" ? undefined : await mkdtemp(join(tmpdir(), "sluice-one-core-"));
  const request: AutocannonRequest = {
    body: typeof body === "string" ? body : { file: join(bodyDir as string, "body") },
    headers: settings.headers ?? { "content-type": "application/json" },
    connections: settings.connections ?? 50,
  };
  if (bodyDir !== undefined) await writeFile(join(bodyDir, "body"), body);
  try {
    const a = await servePinned(commandA, pins.server);
    servers.push(a);
    const b = await servePinned(commandB, pins.server);
    servers.push(b);
    const load = (url: string, duration: number) =>
      autocannon(url + path, request, duration, pins.load, children);
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
    if (bodyDir !== undefined) await rm(bodyDir, { recursive: true, force: true });
  }
}

/** What each autocannon process sends: its body (text, or bytes in a file), headers and connections. */
interface AutocannonRequest {
  body: string | { file: string };
  headers: Record<string, string>;
  connections: number;
}

/**
 * A one-core result as table rows of `name` (B is the subject, A the baseline): req/s, p99
 * latency and CPU per request, "both on one core at once", with the bars given.
 */
export function oneCoreFigures(
  name: string,
  r: OneCoreResult,
  bars: { rps?: Bar; p99?: Bar } = {},
): Figure[] {
  const row = (
    what: string,
    unit: string,
    subject: number,
    baseline: number,
    ratio: number,
    bar: Bar = {},
  ) => ({
    name: `${name}: ${what}, both on one core at once`,
    unit,
    subject,
    baseline,
    ratio,
    bar,
  });
  const medianOf = (figure: (round: OneCoreRound) => number) => median(r.rounds.map(figure));
  return [
    row("req/s", "req/s", r.rpsB, r.rpsA, r.rpsRatio, bars.rps),
    row(
      "p99 latency",
      "ms",
      medianOf((x) => x.p99B),
      medianOf((x) => x.p99A),
      r.p99Ratio,
      bars.p99,
    ),
    row(
      "CPU per request",
      "µs",
      medianOf((x) => x.cpuB * 1e6),
      medianOf((x) => x.cpuA * 1e6),
      r.cpuRatio,
    ),
  ];
}

/** autocannon as its own process on the load cores; resolves to the requests it completed and their p99. */
function autocannon(
  url: string,
  request: AutocannonRequest,
  seconds: number,
  cores: string,
  children: ChildProcess[],
) {
  const args = ["-c", cores, process.execPath];
  const { body, headers, connections } = request;
  if (typeof body === "string") {
    args.push(require.resolve("autocannon/autocannon.js"), "-j", "-c", String(connections));
    args.push("-d", String(seconds), "-m", "POST");
    for (const [name, value] of Object.entries(headers)) args.push("-H", `${name}=${value}`);
    args.push("-b", body, url);
  } else {
    args.push(join(here, "autocannon-bytes.mjs"), url, body.file, String(seconds), String(connections));
    args.push(JSON.stringify(headers));
  }
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
