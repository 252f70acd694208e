import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

/** Thrown when a service of the test bed cannot start; the message says which and why. */
export class TestBedError extends Error {
  constructor(service: string, reason: string) {
    super(`test bed: ${service} could not start: ${reason}`);
    this.name = "TestBedError";
  }
}

/** A child process whose output goes to a log file, so a failure can quote its last lines. */
export interface Service {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** The command line it was started with, for error messages. */
  readonly commandLine: string;
  /** The last lines of the service's log, for error messages. */
  tail(lines?: number): Promise<string>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export function startService(name: string, command: string, args: string[], logFile: string): Service {
  const log = createWriteStream(logFile, { flags: "a" });
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    name,
    child,
    logFile,
    commandLine: [command, ...args].join(" "),
    async tail(lines = 15) {
      const text = await readFile(logFile, "utf8").catch(() => "");
      return text.trimEnd().split("\n").slice(-lines).join("\n");
    },
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const killed = sleep(graceMs).then(() => child.kill("SIGKILL"));
      await Promise.race([exited, killed]);
      await exited;
      log.end();
    },
  };
}

/** Polls `probe` until it resolves true; fails with the service's log when it exits or times out. */
export async function waitUntilReady(
  service: Service,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { exitCode, signalCode } = service.child;
    if (exitCode !== null || signalCode !== null) {
      const how = exitCode !== null ? `exit code ${exitCode}` : `signal ${signalCode}`;
      throw new TestBedError(
        service.name,
        `it exited (${how}); command: ${service.commandLine}\nlast log lines:\n${await service.tail()}`,
      );
    }
    if (await probe().catch(() => false)) return;
    await sleep(100);
  }
  await service.stop(1000);
  throw new TestBedError(
    service.name,
    `not ready after ${timeoutMs} ms; command: ${service.commandLine}\nlast log lines (${service.logFile}):\n${await service.tail()}`,
  );
}

/** Whether `command` is on PATH. */
export function onPath(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

/** Runs a command to completion, failing the bed with its output if it fails. */
export function runOrFail(service: string, command: string, args: string[], what: string): void {
  const result = spawnSync(command, args, { encoding: "utf8" });
  if (result.error) throw new TestBedError(service, `${what}: ${result.error.message}`);
  if (result.status !== 0) {
    const output = `${result.stdout ?? ""}${result.stderr ?? ""}`.trim().split("\n").slice(-15).join("\n");
    throw new TestBedError(service, `${what} failed (exit ${result.status}):\n${output}`);
  }
}
