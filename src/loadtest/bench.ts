/**
 * `sluice bench`, from compiled settings to an exit code: serve the graph (or take the URL),
 * load it, load the bare baseline the same way, then print, write and judge the result.
 */
import { readFile, writeFile } from "node:fs/promises";
import { arch, cpus, platform } from "node:os";
import { SluiceError } from "../errors.js";
import { type ChildServer, serveBare, serveGraph } from "./child-server.js";
import { compareSummaries, formatComparison, readReport } from "./compare.js";
import { formatCount } from "./format.js";
import { renderHtmlReport } from "./html-report.js";
import { httpOnce, type OnceResponse } from "./http-once.js";
import { type ProgressStyle, runLoad } from "./run-load.js";
import { formatSummary, ratioOf } from "./summary.js";
import type { BenchReport, BenchSettings, ReportSettings, RunResult } from "./types.js";

/** Where `sluice bench` writes: the result on `out`, progress and problems on `err`. */
export interface BenchIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  progress: ProgressStyle;
}

const defaultIo = (): BenchIo => ({
  out: process.stdout,
  err: process.stderr,
  progress: process.stderr.isTTY ? "bar" : "lines",
});

/** One request before the load: a target that cannot be reached is one clear line, not a flood of errors. */
async function firstRequest(origin: string, settings: BenchSettings): Promise<OnceResponse> {
  const { request } = settings;
  const url = `${origin}${request.path}`;
  try {
    return await httpOnce(url, {
      method: request.method,
      headers: request.headers,
      ...(request.body ? { body: request.body } : {}),
    });
  } catch (error) {
    throw new SluiceError("SLUICE_ERR_INPUT", `cannot reach ${url}: ${(error as Error).message}`);
  }
}

/** Starts the server (when there is one), loads it and stops it again, whatever happens. */
async function measure(
  label: string,
  start: (() => Promise<ChildServer>) | string,
  settings: BenchSettings,
  io: BenchIo,
  signal: AbortSignal,
): Promise<{ run: RunResult; first: OnceResponse }> {
  const server = typeof start === "string" ? undefined : await start();
  const origin = server?.origin ?? (start as string);
  try {
    const first = await firstRequest(origin, settings);
    const run = await runLoad({ label, origin, ...settings, progress: io.progress, output: io.err, signal });
    return { run, first };
  } finally {
    await server?.stop();
  }
}

function reportSettings(settings: BenchSettings): ReportSettings {
  const { target, request, load } = settings;
  return {
    target: target.kind === "graph" ? target.file : `${target.origin}${request.path}`,
    kind: target.kind,
    ...(target.kind === "graph" ? { workers: target.workers } : {}),
    method: request.method,
    path: request.path,
    headers: request.headers,
    ...(request.body && request.bodySource
      ? {
          body: {
            source: request.bodySource,
            bytes: request.body.length,
            preview: request.body.subarray(0, 200).toString("utf8"),
          },
        }
      : {}),
    connections: load.connections,
    pipelining: load.pipelining,
    ...(load.amount === undefined ? { duration: `${load.durationMs / 1000}s` } : { amount: load.amount }),
    ...(load.rate === undefined ? {} : { rate: load.rate }),
    warmup: `${load.warmupMs / 1000}s`,
    timeout: `${load.timeoutMs / 1000}s`,
    baseline: settings.baseline,
  };
}

async function version(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

async function write(file: string, text: string): Promise<void> {
  await writeFile(file, text).catch((error: NodeJS.ErrnoException) => {
    throw new SluiceError("SLUICE_ERR_INPUT", `cannot write ${file}: ${error.code ?? error.message}`);
  });
}

/** Says which runs saw non-2xx answers or failed requests; undefined when none did. */
function trouble(runs: { run: RunResult; first: OnceResponse }[]): SluiceError | undefined {
  const bad = runs.filter(({ run }) => run.summary.errors + run.summary.non2xx > 0);
  const firstBad = bad[0];
  if (!firstBad) return undefined;
  const what = bad
    .map(({ run }) => {
      const s = run.summary;
      const codes = Object.entries(s.statusCodes)
        .filter(([code]) => !code.startsWith("2"))
        .map(([code, n]) => `${code} ×${formatCount(n)}`)
        .join(", ");
      return `${run.label}: ${formatCount(s.non2xx)} of ${formatCount(s.requests)} responses were not 2xx${codes ? ` (${codes})` : ""}, ${formatCount(s.errors)} requests failed`;
    })
    .join("; ");
  const { first } = firstBad;
  const sample =
    first.status < 200 || first.status > 299
      ? `the first answer was ${first.status} ${first.body.trim()}; `
      : "";
  return new SluiceError("SLUICE_ERR_INPUT", what, { hint: `${sample}--allow-errors accepts them` });
}

const stopSignals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** Runs the bench; resolves to the exit code (1 when a run saw non-2xx or errors). */
export async function runBench(settings: BenchSettings, io: BenchIo = defaultIo()): Promise<number> {
  const abort = new AbortController();
  // Ctrl-C (or SIGTERM, or a closed terminal) ends the load early and still reports what was
  // measured; a second one quits, and the exit handlers kill the servers.
  const interrupt = () => {
    if (abort.signal.aborted) process.exit(130);
    io.err.write("\ninterrupted: stopping the load and reporting what was measured\n");
    abort.abort();
  };
  for (const signal of stopSignals) process.on(signal, interrupt);
  const startedAt = new Date();
  try {
    const { target } = settings;
    const label = target.kind === "graph" ? "sluice" : "target";
    if (target.kind === "graph") io.err.write(`sluice bench: serving ${target.file}\n`);
    const start = target.kind === "graph" ? () => serveGraph(target.file, target.workers) : target.origin;
    const main = await measure(label, start, settings, io, abort.signal);
    // After Ctrl-C the target's run was cut short: a baseline next to it would compare nothing.
    const base =
      settings.baseline && !abort.signal.aborted
        ? await measure("baseline", serveBare, settings, io, abort.signal)
        : undefined;
    const report: BenchReport = {
      tool: "sluice bench",
      formatVersion: 1,
      sluiceVersion: await version(),
      date: startedAt.toISOString(),
      machine: {
        node: process.version,
        platform: `${platform()} ${arch()}`,
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model.trim() ?? "unknown",
      },
      settings: reportSettings(settings),
      target: main.run,
      ...(base ? { baseline: base.run, ratio: ratioOf(main.run.summary, base.run.summary) } : {}),
    };
    io.out.write(formatSummary(report));
    if (settings.jsonFile) {
      await write(settings.jsonFile, `${JSON.stringify(report, null, 2)}\n`);
      io.out.write(`wrote ${settings.jsonFile}\n`);
    }
    if (settings.reportFile) {
      await write(settings.reportFile, renderHtmlReport(report));
      io.out.write(`wrote ${settings.reportFile}\n`);
    }
    const problem = settings.allowErrors ? undefined : trouble(base ? [main, base] : [main]);
    if (problem) throw problem;
    return 0;
  } finally {
    for (const signal of stopSignals) process.removeListener(signal, interrupt);
  }
}

/** `--compare a.json b.json`: prints the deltas of b against a. */
export async function runCompare(before: string, after: string, io: BenchIo = defaultIo()): Promise<number> {
  const [a, b] = await Promise.all([readReport(before), readReport(after)]);
  io.out.write(formatComparison(compareSummaries(a.target.summary, b.target.summary), before, after));
  return 0;
}
