/**
 * What the stream scenarios (bench/scenarios/streams.ts) share, whichever the broker: the
 * 256-byte event, the three steps, the rounds in alternating order, the drain clock, the
 * steady-rate producer and the latency figures.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import pino from "pino";
import type { Gateway } from "../../src/gateway/gateway.js";
import { type ServeSettings, startGateway } from "../../src/gateway/serve.js";
import type { Logger } from "../../src/graph/index.js";
import { hop } from "../graphs/streams-steps.mjs";
import { whenQuiet } from "./quiet.js";

/** The two contenders: sluice with a graph, and the bare client pipe it is held against. */
export type Side = "sluice" | "bare";

/** A running consume → 3 steps → produce pipe; `stop()` finishes in-flight work and disconnects. */
export interface Pipe {
  stop(): Promise<void>;
}

/** What a bare pipe does to each event: the graph's three steps, called in a row. */
export function transform(body: { hops?: number }): { hops?: number } {
  return hop(hop(hop(body)));
}

/** Where the steps live, for the graph documents written at run time. */
export const stepsModule = fileURLToPath(new URL("../graphs/streams-steps.mjs", import.meta.url));

/** The graph's steps, in YAML indented for `spec:`. */
export const threeSteps = [
  "  steps:",
  `    s1: {handler: "${stepsModule}#hop"}`,
  `    s2: {handler: "${stepsModule}#hop", after: [s1]}`,
  `    s3: {handler: "${stepsModule}#hop", after: [s2]}`,
].join("\n");

export interface BenchBody {
  i: number;
  key: string;
  /** Milliseconds since the epoch when the event was produced. */
  at: number;
  pad: string;
  hops?: number;
}

/** Event `i` as exactly 256 bytes of JSON, stamped with `at`. */
export function eventJson(i: number, at: number): { key: string; value: string } {
  const key = `k${i % 97}`;
  const bare = JSON.stringify({ i, key, at, pad: "" });
  return { key, value: JSON.stringify({ i, key, at, pad: "x".repeat(Math.max(0, 256 - bare.length)) }) };
}

/** An output read back; one that did not go through the three steps fails the bench. */
export function outputBody(text: string): BenchBody {
  const body = JSON.parse(text) as BenchBody;
  if (body?.hops !== 3) throw new Error(`an output did not pass the three steps: ${text.slice(0, 120)}`);
  return body;
}

/** Warnings and errors on stderr: an event logged at info would be part of what is measured. */
export function benchLogger(): Logger {
  return pino({ level: "warn", base: { bench: "streams" } }, pino.destination(2));
}

/** A gateway in this process serving one graph document (no admin plane). */
export async function gatewayFor(yaml: string): Promise<Gateway> {
  const dir = await mkdtemp(join(tmpdir(), "sluice-bench-streams-"));
  const file = join(dir, "graph.yaml");
  await writeFile(file, yaml);
  const settings: ServeSettings = {
    files: [file],
    port: 0,
    host: "127.0.0.1",
    adminPort: 0,
    adminHost: "127.0.0.1",
    adminToken: undefined,
    workers: 1,
    timeoutMs: 30_000,
    maxTimeoutMs: 60_000,
    bodyLimit: 1 << 20,
    mapping: undefined,
    version: "0.0.0-bench",
    graceMs: 30_000,
  };
  try {
    const gateway = await startGateway(settings, benchLogger(), false);
    for (const graph of gateway.registry.graphs) await graph.whenReady();
    return gateway;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Runs `once` for each side, `rounds` times, the order swapped every round so drift on a
 * shared machine (and whoever goes first after a broker's idle spell) hits both sides alike.
 * Each run waits (within SLUICE_BENCH_QUIET_WAIT_SECONDS) for the machine, and the broker
 * still flushing the previous run, to go quiet.
 */
export async function alternate<T>(
  rounds: number,
  once: (side: Side, round: number) => Promise<T>,
): Promise<Record<Side, T[]>> {
  const out: Record<Side, T[]> = { sluice: [], bare: [] };
  for (let r = 0; r < rounds; r++) {
    const order: Side[] = r % 2 === 0 ? ["sluice", "bare"] : ["bare", "sluice"];
    for (const side of order) {
      await whenQuiet();
      process.stderr.write(`  round ${r + 1}/${rounds}: ${side}\n`);
      out[side].push(await once(side, r));
    }
  }
  return out;
}

/** One drain: events/s, and this process's CPU time per event (both pipes run in it). */
export interface Drain {
  rate: number;
  cpuUsPerEvent: number;
}

/**
 * Starts a pipe on a full input and measures it from the moment it is consuming (its group
 * joined, its consumer created) until the output holds `n`: events/s, and CPU µs per event,
 * which holds steadier than events/s when others share the machine.
 */
export async function drainRate(
  start: () => Promise<Pipe>,
  outputCount: () => Promise<number>,
  n: number,
  timeoutMs = 120_000,
): Promise<Drain> {
  const pipe = await start();
  try {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (;;) {
      const count = await outputCount();
      const elapsed = performance.now() - t0;
      if (count >= n) {
        const cpu = process.cpuUsage(cpu0);
        return { rate: n / (elapsed / 1000), cpuUsPerEvent: (cpu.user + cpu.system) / n };
      }
      if (elapsed > timeoutMs) throw new Error(`the output holds ${count} of ${n} after ${timeoutMs} ms`);
      await sleep(20);
    }
  } finally {
    await pipe.stop();
  }
}

/** Polls `count` until it reaches `n`; fails after `timeoutMs`. */
export async function waitForCount(
  count: () => Promise<number>,
  n: number,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const c = await count();
    if (c >= n) return;
    if (performance.now() > deadline) throw new Error(`the output holds ${c} of ${n} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/**
 * Produces events numbered from 0 at `rate` per second for `seconds`, each stamped with the
 * time its send began (`at`); a slow send is caught up on the next tick, so the rate holds.
 * Resolves with how many were sent.
 */
export async function steadyRate(
  send: (events: { key: string; value: string }[]) => Promise<void>,
  rate: number,
  seconds: number,
  tickMs = 10,
): Promise<number> {
  const total = Math.round(rate * seconds);
  const started = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
    if (due > sent) {
      const at = Date.now();
      const events = [];
      for (let i = sent; i < due; i++) events.push(eventJson(i, at));
      await send(events);
      sent = due;
    }
    await sleep(tickMs);
  }
  return sent;
}

/** The `q`-quantile (0..1) of the values, nearest rank. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

/** Latencies of one steady run, with the first `skip` events (the warm-up) left out. */
export function latencySample(outputs: { i: number; ms: number }[], skip: number): number[] {
  return outputs.filter((o) => o.i >= skip).map((o) => o.ms);
}
