/**
 * Functions (src/runtimes): the content hash, `functions list` over a large store, and two
 * processes writing to one store at once. The bars: a hash under 1 ms, a list of
 * 10,000 versions under 200 ms, 1,000 puts from each of two processes with no write lost.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import {
  type FunctionDocument,
  FunctionObject,
  FunctionStore,
  functionHash,
  readFunctionFile,
  versionsTable,
} from "../../src/runtimes/index.js";
import { concurrentWriters } from "../../test/fixtures/runtimes/writers.js";
import { median } from "../lib/measure.js";
import type { Scenario } from "../lib/scenario.js";

const exec = promisify(execFile);
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Microseconds per call of `work`: the median of 5 rounds of `n` calls, after a warm-up round. */
function microsPerCall(work: () => unknown, n: number): number {
  const rounds: number[] = [];
  for (let round = 0; round < 6; round++) {
    const started = performance.now();
    for (let i = 0; i < n; i++) work();
    if (round > 0) rounds.push(((performance.now() - started) * 1000) / n);
  }
  return median(rounds);
}

/** Milliseconds of `work`, the median of 5 runs after a warm-up. */
function millis(work: () => unknown): number {
  work();
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    work();
    runs.push(performance.now() - started);
  }
  return median(runs);
}

async function tempStore<T>(work: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "sluice-bench-"));
  try {
    return await work(join(dir, "functions.db"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** 100 functions × 100 versions, a tag on every tenth version and `latest` on each newest one. */
function fill(store: FunctionStore): void {
  store.atomically(() => {
    for (let f = 0; f < 100; f++) {
      for (let v = 0; v < 100; v++) {
        const fn = new FunctionObject({
          kind: "job",
          metadata: { name: `fn-${f}` },
          spec: { image: "node:20" },
        });
        fn.setEnv("VERSION", v).withLimits("1Gi", "500m");
        store.put(fn, { tag: v % 10 === 0 ? `v${v}` : v === 99 ? "latest" : null });
      }
    }
  });
}

const sluiceBin = join(repoRoot, "bin", "sluice.js");

async function cliMillis(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < 4; i++) {
    const started = performance.now();
    await exec(process.execPath, [sluiceBin, ...args], { env, maxBuffer: 64 * 1024 * 1024 });
    if (i > 0) runs.push(performance.now() - started);
  }
  return median(runs);
}

export const functionScenarios: Scenario[] = [
  {
    name: "functions: hash a function document (MLRun job, 2 kB)",
    unit: "µs",
    bar: { subjectBelow: 1000 },
    async run() {
      const { fn } = await readFunctionFile(join(repoRoot, "test", "fixtures", "runtimes", "mlrun-job.yaml"));
      const doc = fn.toDocument() as FunctionDocument;
      // Baseline: SHA-1 of plain JSON.stringify, which is neither key-order- nor tag-proof.
      const subject = microsPerCall(() => functionHash(doc), 2000);
      const baseline = microsPerCall(
        () => createHash("sha1").update(JSON.stringify(doc)).digest("hex"),
        2000,
      );
      return { subject, baseline, ratio: subject / baseline };
    },
  },
  {
    name: "functions: list 10,000 stored versions (query + table)",
    unit: "ms",
    bar: { subjectBelow: 200 },
    async run() {
      return tempStore(async (path) => {
        const store = FunctionStore.open(path);
        fill(store);
        const subject = millis(() => versionsTable(store.list()));
        if (store.list().length !== 10_000) throw new Error("the store does not hold 10,000 versions");
        store.close();
        // Baseline: the bare rows straight from SQLite, without tags, order or table.
        const raw = new Database(path, { readonly: true });
        const rows = raw.prepare("SELECT project, name, hash, kind, created FROM versions");
        const baseline = millis(() => rows.all());
        raw.close();
        const env = { ...process.env, SLUICE_STORE: path };
        const cli = await cliMillis(["functions", "list"], env);
        const startup = await cliMillis(["--version"], env);
        return {
          subject,
          baseline,
          ratio: subject / baseline,
          more: [
            {
              name: "functions: `sluice functions list`, 10,000 versions, whole process (vs --version)",
              unit: "ms",
              bar: {},
              subject: cli,
              baseline: startup,
              ratio: cli / startup,
            },
          ],
        };
      });
    },
  },
  {
    name: "functions: 1,000 puts from each of two processes at once, writes lost",
    unit: "writes",
    bar: { subjectBelow: 1 },
    async run() {
      return tempStore(async (path) => {
        FunctionStore.open(path).close();
        const [a, b] = await concurrentWriters(path, 1000, ["a", "b"]);
        if (!a || !b) throw new Error("a writer did not report");
        const store = FunctionStore.open(path);
        const stored = new Set(store.list({ name: "shared" }).map((v) => v.hash));
        store.close();
        const lost = [...a.hashes, ...b.hashes].filter((h) => !stored.has(h)).length;
        const overlap = Math.min(a.ended, b.ended) - Math.max(a.began, b.began);
        if (overlap <= 0) throw new Error("the two writers did not overlap; the figure would mean nothing");
        const together = 2000 / ((Math.max(a.ended, b.ended) - Math.min(a.began, b.began)) / 1000);
        const [alone] = await tempStore(async (single) => {
          FunctionStore.open(single).close();
          return concurrentWriters(single, 1000, ["solo"]);
        });
        const soloRate = alone ? 1000 / ((alone.ended - alone.began) / 1000) : Number.NaN;
        return {
          subject: lost,
          baseline: Number.NaN,
          ratio: Number.NaN,
          more: [
            {
              name: "functions: puts/s, two processes together (vs one process alone)",
              unit: "puts/s",
              bar: {},
              subject: together,
              baseline: soloRate,
              ratio: together / soloRate,
            },
          ],
        };
      });
    },
  },
];
