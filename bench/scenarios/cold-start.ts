/**
 * Cold start: what a new replica (a Nuclio function scaling from zero, a pod rescheduled)
 * pays before its first request. `sluice serve` of examples/inference from process start to
 * `/v2/health/ready` answering 200, against a bare node:http server from start to its first
 * 200; and `sluice --help` against `node -e ""`, a process that loads nothing. Starts
 * alternate, sluice then bare, so a busy moment of the machine hits both.
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { request } from "node:http";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { repoRoot } from "../lib/child.js";
import { median } from "../lib/measure.js";
import type { Scenario } from "../lib/scenario.js";

const starts = Number(process.env.SLUICE_BENCH_COLD_STARTS ?? 15);
const sluice = ["bin/sluice.js"];
const serveArgs = (port: number) => [
  ...sluice,
  "serve",
  "examples/inference/graph.yaml",
  "--port",
  String(port),
  "--admin-port",
  "0",
];
// The same answer a probe wants, from nothing but node:http.
const bareArgs = (port: number) => [
  "-e",
  `require("node:http").createServer((q, s) => s.end('{"ready":true}')).listen(${port}, "127.0.0.1")`,
];

/** A port free now (the child binds it a moment later). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Whether GET `/v2/health/ready` answers 200 now. */
function ready(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/v2/health/ready", agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.once("error", () => resolve(false));
    req.end();
  });
}

/** utime + stime of a process so far, in ms (10 ms ticks). */
async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Starts `args`, polls until ready (every 2 ms), and kills it: wall ms and CPU ms to ready. */
async function startToReady(args: (port: number) => string[]): Promise<{ wall: number; cpu: number }> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, args(port), {
    cwd: repoRoot,
    stdio: "ignore",
    env: { ...process.env, SLUICE_LOG_LEVEL: "warn" },
  });
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });
  try {
    while (!(await ready(port))) {
      if (exited) throw new Error(`${args(port).join(" ")} exited before it was ready`);
      if (performance.now() - started > 30_000) throw new Error(`${args(port).join(" ")}: not ready in 30 s`);
      await sleep(2);
    }
    const wall = performance.now() - started;
    return { wall, cpu: await cpuMs(child.pid as number) };
  } finally {
    child.kill("SIGKILL");
  }
}

/** Wall ms from spawn to exit. */
function runToExit(args: string[]): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: "ignore" });
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0
        ? resolve(performance.now() - started)
        : reject(new Error(`${args.join(" ")} exited ${code}`)),
    );
  });
}

/** `starts` alternating runs of each; the medians. */
async function alternate<T>(subject: () => Promise<T>, baseline: () => Promise<T>): Promise<[T[], T[]]> {
  const a: T[] = [];
  const b: T[] = [];
  await subject(); // a first start warms the page cache for both
  await baseline();
  for (let i = 0; i < starts; i++) {
    a.push(await subject());
    b.push(await baseline());
  }
  return [a, b];
}

export const coldStartScenarios: Scenario[] = [
  {
    name: "cold start: sluice serve examples/inference to ready vs bare node:http to its first 200",
    unit: "ms",
    bar: { subjectBelow: 150 },
    run: async () => {
      const [s, b] = await alternate(
        () => startToReady(serveArgs),
        () => startToReady(bareArgs),
      );
      const wall = [median(s.map((r) => r.wall)), median(b.map((r) => r.wall))] as const;
      const cpu = [median(s.map((r) => r.cpu)), median(b.map((r) => r.cpu))] as const;
      return {
        subject: wall[0],
        baseline: wall[1],
        ratio: wall[0] / wall[1],
        more: [
          {
            name: "cold start: CPU to ready (user + system, 10 ms ticks)",
            unit: "ms",
            bar: {},
            subject: cpu[0],
            baseline: cpu[1],
            ratio: cpu[0] / cpu[1],
          },
        ],
      };
    },
  },
  {
    name: 'cold start: sluice --help vs node -e ""',
    unit: "ms",
    bar: { subjectBelow: 100 },
    run: async () => {
      const [s, b] = await alternate(
        () => runToExit([...sluice, "--help"]),
        () => runToExit(["-e", ""]),
      );
      const subject = median(s);
      const baseline = median(b);
      return { subject, baseline, ratio: subject / baseline };
    },
  },
];
