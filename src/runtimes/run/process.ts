import { spawn } from "node:child_process";
import { extname } from "node:path";
import type { Writable } from "node:stream";
import { SluiceError } from "../../errors.js";
import type { Code } from "./code.js";

/** How a child process ended. */
export interface ProcessOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** The last lines it wrote to stderr, for the one-line error of a failed run. */
  stderrTail: string;
}

export interface ProcessOptions {
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** After SIGTERM (a timeout, an abort), how long before SIGKILL. */
  graceMs?: number;
  stdout: Writable;
  stderr: Writable;
  signal?: AbortSignal;
}

/** Scripts run by their interpreter, so they need no executable bit or shebang. */
function interpreterOf(file: string): string[] {
  switch (extname(file).toLowerCase()) {
    case ".mjs":
    case ".js":
    case ".cjs":
      return [process.execPath];
    case ".ts":
    case ".mts":
    case ".cts":
      return [process.execPath, "--import", import.meta.resolve("tsx")];
    case ".py":
      return ["python3"];
    case ".sh":
      return ["sh"];
    default:
      return [];
  }
}

/**
 * Runs code in a child process of its own process group, streaming its output as it comes.
 * On timeout or abort the whole group gets SIGTERM, then SIGKILL after the grace period, so
 * a shell script's children stop with it.
 */
export function runProcess(code: Code, options: ProcessOptions): Promise<ProcessOutcome> {
  const argv = "file" in code ? [...interpreterOf(code.file), code.file] : [code.program];
  const [program, ...leading] = argv as [string, ...string[]];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(program, [...leading, ...options.args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: process.platform !== "win32",
    });
    let tail = "";
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    child.stdout.on("data", (chunk: Buffer) => options.stdout.write(chunk));
    child.stderr.on("data", (chunk: Buffer) => {
      options.stderr.write(chunk);
      tail = (tail + chunk.toString()).slice(-2000);
    });
    const stop = () => {
      signalGroup(child.pid, "SIGTERM");
      killTimer ??= setTimeout(() => signalGroup(child.pid, "SIGKILL"), options.graceMs ?? 5000);
    };
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            stop();
          }, options.timeoutMs);
    options.signal?.addEventListener("abort", stop, { once: true });
    // If sluice itself exits, the child must not outlive it unnoticed.
    const onExit = () => signalGroup(child.pid, "SIGKILL");
    process.once("exit", onExit);
    child.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      process.off("exit", onExit);
      const message =
        error.code === "ENOENT"
          ? `${program} not found: is it installed and on PATH?`
          : `cannot start ${program}: ${error.message}`;
      reject(new SluiceError("SLUICE_ERR_RUN_FAILED", message, { cause: error }));
    });
    child.once("close", (exitCode, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      process.off("exit", onExit);
      options.signal?.removeEventListener("abort", stop);
      resolvePromise({ exitCode, signal, timedOut, stderrTail: tail });
    });
  });
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(process.platform === "win32" ? pid : -pid, signal);
  } catch {
    // Already gone.
  }
}
