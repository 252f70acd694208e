import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Writable } from "node:stream";
import { SluiceError } from "../../errors.js";
import type { FunctionObject } from "../function-object.js";
import { isUrl } from "../hub/fetch.js";
import { type RunRecord, startedRun } from "../store/runs.js";
import type { FunctionStore } from "../store/store.js";
import type { EnvVar } from "../types.js";
import { type Code, locateCode } from "./code.js";
import { callHandler, loadHandler } from "./handler.js";
import { paramsEnv } from "./params.js";
import { runProcess } from "./process.js";

export interface LocalRunOptions {
  params?: Record<string, unknown>;
  /** Where the function's relative paths resolve: its document's directory, or a hub URL. */
  origin: string;
  /** Where downloaded and embedded code is written (`$SLUICE_HOME/cache`). */
  cacheDir: string;
  /** With a store, the version that ran and the run record are kept in it. */
  store?: FunctionStore;
  timeoutMs?: number;
  /** Overrides spec.default_handler (handler kind). */
  handler?: string;
  stdout?: Writable;
  stderr?: Writable;
  /** Aborting stops the run (a local process gets SIGTERM), state `aborted`. */
  signal?: AbortSignal;
}

/** Kinds `--local` runs: a handler in this process; a local or job command in a child process. */
export const locallyRunnable = new Set(["handler", "local", "job"]);

/**
 * Runs a function on this machine and returns its run record. A failed run (the handler
 * threw, the process exited non-zero, the timeout struck) resolves with state `error` or
 * `aborted`; only a run that cannot start at all (bad kind, code not found) rejects.
 */
export async function runLocally(fn: FunctionObject, options: LocalRunOptions): Promise<RunRecord> {
  if (!locallyRunnable.has(fn.kind)) {
    const how = fn.kind === "serving" ? "serve it with sluice serve" : "deploy it with sluice deploy";
    throw new SluiceError("SLUICE_ERR_USAGE", `a ${fn.kind} function does not run with --local; ${how}`, {
      hint: "--local runs the kinds handler, local and job",
    });
  }
  const params = options.params ?? {};
  const code = await locateCode(fn, options.origin, options.cacheDir);
  const record = startedRun(fn, params);
  options.store?.put(fn, { tag: null, origin: options.origin });
  options.store?.saveRun(record);
  try {
    if (fn.kind === "handler") await inProcess(fn, code, record, options);
    else await inChild(fn, code, record, options);
  } catch (error) {
    record.state = "error";
    record.error = error instanceof Error ? error.message : String(error);
  }
  record.end = new Date().toISOString();
  options.store?.saveRun(record);
  return record;
}

async function inProcess(
  fn: FunctionObject,
  code: Code,
  record: RunRecord,
  options: LocalRunOptions,
): Promise<void> {
  if (!("file" in code))
    throw new SluiceError("SLUICE_ERR_FUNCTION_INVALID", `${fn.name}: a handler runs a module`);
  const stderr = options.stderr ?? process.stderr;
  const handler = await loadHandler(code.file, options.handler ?? fn.spec.default_handler);
  const call = callHandler(handler, {
    uid: record.uid,
    name: fn.name,
    params: record.params,
    env: plainEnv(fn, stderr),
    log: (message) => stderr.write(`${message}\n`),
  });
  // An in-process handler cannot be stopped: past its timeout the run is recorded as
  // aborted and the caller moves on (the command line exits).
  let timer: NodeJS.Timeout | undefined;
  const stopped = new Promise<"timeout" | "abort">((resolveStop) => {
    if (options.timeoutMs !== undefined) timer = setTimeout(() => resolveStop("timeout"), options.timeoutMs);
    options.signal?.addEventListener("abort", () => resolveStop("abort"), { once: true });
  });
  const outcome = await Promise.race([call, stopped]).finally(() => clearTimeout(timer));
  if (outcome === "timeout" || outcome === "abort") {
    call.catch(() => {});
    record.state = "aborted";
    record.error =
      outcome === "timeout" ? `timed out after ${options.timeoutMs} ms` : "stopped before it finished";
    return;
  }
  record.results = outcome;
  record.state = "completed";
}

async function inChild(
  fn: FunctionObject,
  code: Code,
  record: RunRecord,
  options: LocalRunOptions,
): Promise<void> {
  const spec = fn.spec as { args?: string[]; workdir?: string; default_handler?: string };
  if ("file" in code && code.file.endsWith(".py") && spec.default_handler) {
    throw new SluiceError(
      "SLUICE_ERR_FUNCTION_INVALID",
      `${fn.name} calls the Python handler ${spec.default_handler}: sluice runs Python files as scripts, not their handlers`,
      { hint: "drop spec.default_handler to run the script, or use kind handler with a JavaScript module" },
    );
  }
  const stderr = options.stderr ?? process.stderr;
  // The results file is how a script hands back results: it writes JSON there.
  const scratch = await mkdtemp(join(tmpdir(), "sluice-run-"));
  const resultsFile = join(scratch, "results.json");
  try {
    const outcome = await runProcess(code, {
      args: spec.args ?? [],
      // The caller's directory, so relative paths in params mean what they meant in the shell.
      cwd: spec.workdir ? resolve(isUrl(options.origin) ? "." : options.origin, spec.workdir) : process.cwd(),
      env: {
        ...process.env,
        ...plainEnv(fn, stderr),
        ...paramsEnv(record.params),
        SLUICE_RUN_UID: record.uid,
        SLUICE_RESULTS_FILE: resultsFile,
      },
      stdout: options.stdout ?? process.stdout,
      stderr,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    record.results = await readResults(resultsFile);
    if (outcome.exitCode !== null) record.exit_code = outcome.exitCode;
    if (outcome.timedOut || options.signal?.aborted) {
      record.state = "aborted";
      record.error = outcome.timedOut
        ? `timed out after ${options.timeoutMs} ms`
        : "stopped before it finished";
    } else if (outcome.exitCode === 0) {
      record.state = "completed";
    } else {
      record.state = "error";
      const how =
        outcome.exitCode === null
          ? `was killed by ${outcome.signal}`
          : `exited with code ${outcome.exitCode}`;
      const last = outcome.stderrTail.trim().split("\n").at(-1);
      record.error = last ? `${how}: ${last}` : how;
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The function's env as plain values; values from Secrets and ConfigMaps only exist on a cluster. */
function plainEnv(fn: FunctionObject, stderr: Writable): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of ((fn.spec as { env?: EnvVar[] }).env ?? []) as EnvVar[]) {
    if (entry.value !== undefined) env[entry.name] = entry.value;
    else if (process.env[entry.name] === undefined) {
      stderr.write(
        `note: ${entry.name} comes from the cluster (valueFrom); set it in your shell for a local run\n`,
      );
    }
  }
  return env;
}

async function readResults(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return {};
  }
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : { return: value };
  } catch {
    return { results_file: "not JSON" };
  }
}
