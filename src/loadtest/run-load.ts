/** One load against one URL with autocannon: a warm-up thrown away, then the measured run. */
import { type AutocannonInstance, type AutocannonOptions, autocannon } from "./autocannon.js";
import { formatCount, formatMs } from "./format.js";
import { RunSampler } from "./sampler.js";
import { summarize } from "./summary.js";
import type { LoadPlan, RequestPlan, RunResult } from "./types.js";

/** How the run shows that it is alive: autocannon's bar on a terminal, plain lines otherwise. */
export type ProgressStyle = "bar" | "lines" | "none";

export interface RunLoadOptions {
  label: string;
  /** The server's origin, e.g. `http://127.0.0.1:8080`; the request's path is added to it. */
  origin: string;
  request: RequestPlan;
  load: LoadPlan;
  progress: ProgressStyle;
  /** Progress goes here (stderr), so that stdout holds only the result. */
  output: NodeJS.WritableStream;
  /** Aborting ends the current run early; what was measured so far is kept. */
  signal: AbortSignal;
}

function optionsOf(url: string, request: RequestPlan, load: LoadPlan, durationMs: number): AutocannonOptions {
  return {
    url,
    method: request.method,
    headers: request.headers,
    ...(request.body === undefined ? {} : { body: request.body }),
    connections: load.connections,
    pipelining: load.pipelining,
    duration: durationMs / 1000,
    timeout: load.timeoutMs / 1000,
    ...(load.rate === undefined ? {} : { overallRate: load.rate }),
  };
}

/** Resolves with autocannon's result; aborting stops the instance, which then resolves early. */
async function run(instance: AutocannonInstance, signal: AbortSignal) {
  const stop = () => instance.stop();
  if (signal.aborted) stop();
  else signal.addEventListener("abort", stop, { once: true });
  try {
    return await instance;
  } finally {
    signal.removeEventListener("abort", stop);
  }
}

/** Prints each second once it has ended, for logs and CI where a bar cannot draw. */
function printLines(sampler: RunSampler, options: RunLoadOptions): () => void {
  let printed = 0;
  const flush = () => {
    const samples = sampler.samples();
    for (const s of samples.slice(printed)) {
      const trouble = s.errors + s.non2xx > 0 ? `  errors ${s.errors}  non-2xx ${s.non2xx}` : "";
      options.output.write(
        `  ${options.label}  ${s.atSecond.toFixed(0)}s  ${formatCount(s.requestsPerSecond)} req/s` +
          `  p99 ${formatMs(s.p99Ms)}${trouble}\n`,
      );
    }
    printed = samples.length;
  };
  // Polled more often than once a second, so that a line follows its second closely.
  const timer = setInterval(flush, 200);
  return () => {
    clearInterval(timer);
    flush();
  };
}

/**
 * Runs the load and measures it. autocannon ends a run on its once-a-second sample tick, so a
 * run can last up to a second longer than asked; rates are over the real duration.
 */
export async function runLoad(options: RunLoadOptions): Promise<RunResult> {
  const { request, load, output, signal } = options;
  const url = `${options.origin}${request.path}`;
  if (load.warmupMs > 0 && !signal.aborted) {
    output.write(`  ${options.label}  warming up for ${load.warmupMs / 1000}s (not measured)\n`);
    await run(autocannon()(optionsOf(url, request, load, load.warmupMs)), signal);
  }
  const instance = autocannon()({
    ...optionsOf(url, request, load, load.durationMs),
    ...(load.amount === undefined ? {} : { amount: load.amount }),
  });
  const sampler = new RunSampler(instance);
  let stopLines = () => {};
  if (options.progress === "bar") {
    autocannon().track(instance, {
      outputStream: output,
      renderProgressBar: true,
      renderResultsTable: false,
      progressBarString: `  ${options.label} [:bar] :percent`,
    });
  } else if (options.progress === "lines") {
    output.write(`  ${options.label}  loading ${url}\n`);
    stopLines = printLines(sampler, options);
  }
  try {
    const result = await run(instance, signal);
    sampler.end();
    return {
      label: options.label,
      url,
      summary: summarize(result, sampler.latency),
      seconds: sampler.samples(),
      histogram: sampler.latency.toJSON(),
      autocannon: result,
    };
  } finally {
    stopLines();
  }
}
