/**
 * The in-process chain of bench:peers: five trivial sync steps in a row (each adds one; an
 * event of 1 answers 6), one event at a time, as fast as each is answered. sluice's executor
 * runs the graph of the executor bench in this process, a fresh event each time
 * (`makeEvent`, as MLRun's mock server makes one per `test` call); MLRun 1.12.1 runs the same
 * chain as a "flow" graph under `to_mock_server()` (mlrun/chain.py), once with its async
 * engine (storey, the default) and once with its sync engine, each in a Python process of its
 * own. Rounds of SLUICE_BENCH_ROUND_SECONDS each, in rotation; events/s and CPU per event
 * (sluice: this process's CPU time; MLRun: its process's, all threads).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { makeEvent } from "../../src/graph/index.js";
import { loadSettings } from "../lib/load.js";
import { median } from "../lib/measure.js";
import { whenQuiet } from "../lib/quiet.js";
import { inRotation, pairedRatio, perRound } from "../lib/rounds.js";
import type { Figure, Measured } from "../lib/scenario.js";
import { benchGraph, chain5 } from "../scenarios/executor.js";
import { peersDir, venvOf } from "./venv.js";

/** One round of a contender: events answered per wall second, and CPU µs per event. */
interface Round {
  rate: number;
  cpuUs: number;
}

interface Runner {
  label: string;
  round(seconds: number): Promise<Round>;
  close(): Promise<void>;
}

async function sluiceRunner(): Promise<Runner> {
  const graph = await benchGraph(chain5);
  if ((await graph.run(makeEvent({ body: 1 }))) !== 6) throw new Error("sluice's chain did not answer 6");
  return {
    label: "sluice's executor",
    async round(seconds) {
      const end = performance.now() + seconds * 1000;
      const [t0, cpu0] = [performance.now(), process.cpuUsage()];
      let events = 0;
      while (performance.now() < end) {
        // The clock read every 256 events: per event it would be part of what is measured.
        for (let i = 0; i < 256; i++) await graph.run(makeEvent({ body: 1 }));
        events += 256;
      }
      const cpu = process.cpuUsage(cpu0);
      return { rate: events / ((performance.now() - t0) / 1000), cpuUs: (cpu.user + cpu.system) / events };
    },
    close: () => graph.close(),
  };
}

/** chain.py on `engine`, kept running between rounds: each round is a line in, a JSON line out. */
async function mlrunRunner(engine: "async" | "sync"): Promise<Runner> {
  const { python } = await venvOf("mlrun");
  const child: ChildProcess = spawn(python, [join(peersDir, "mlrun", "chain.py"), engine], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, MLRUN_LOG_LEVEL: "WARNING", PYTHONDONTWRITEBYTECODE: "1" },
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`MLRun's chain (${engine} engine) exited:\n${stderr}`);
    return JSON.parse(value) as { ready?: true; events: number; seconds: number; cpu: number };
  };
  await next();
  return {
    label: `MLRun 1.12.1 (${engine} engine)`,
    async round(seconds) {
      child.stdin?.write(`${seconds}\n`);
      const r = await next();
      return { rate: r.events / r.seconds, cpuUs: (r.cpu * 1e6) / r.events };
    },
    async close() {
      child.stdin?.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      if (child.exitCode === null) await new Promise((resolve) => child.once("exit", resolve));
      clearTimeout(timer);
    },
  };
}

export const chainContestName =
  "peers: 5-step chain in-process, sluice's executor vs MLRun 1.12.1 (async engine)";

/** events/s of sluice against each MLRun engine (the async one is the headline), and CPU per event. */
export async function chainContest(): Promise<Measured & { more: Figure[] }> {
  const runners: Runner[] = [];
  try {
    runners.push(await sluiceRunner(), await mlrunRunner("async"), await mlrunRunner("sync"));
    for (const r of runners) await r.round(1); // warm-up, not counted
    const rounds = await inRotation(runners.length, loadSettings.rounds, async (i) => {
      await whenQuiet();
      return (runners[i] as Runner).round(loadSettings.roundSeconds);
    });
    runners.forEach((runner, i) => {
      const r = rounds[i] as Round[];
      process.stderr.write(
        `  ${runner.label}: events/s ${perRound(r, (x) => x.rate)}; CPU µs/event ${perRound(r, (x) => x.cpuUs, 1)}\n`,
      );
    });
    const sluice = rounds[0] as Round[];
    const rows = [1, 2].flatMap((i): Figure[] => {
      const [peer, label] = [rounds[i] as Round[], (runners[i] as Runner).label];
      const name = `peers: 5-step chain in-process, sluice's executor vs ${label}`;
      const figure = (what: string, unit: string, f: (x: Round) => number): Figure => ({
        name: what ? `${name}: ${what}` : name,
        unit,
        subject: median(sluice.map(f)),
        baseline: median(peer.map(f)),
        ratio: pairedRatio(sluice, peer, f),
        bar: {},
      });
      return [figure("", "events/s", (x) => x.rate), figure("CPU per event", "µs", (x) => x.cpuUs)];
    });
    const [{ subject, baseline, ratio }, ...more] = rows as [Figure, ...Figure[]];
    return { subject, baseline, ratio, more };
  } finally {
    for (const r of runners) await r.close();
  }
}
