import { type ChildProcess, spawn } from "node:child_process";
import { onTestFinished } from "vitest";
import { repoRoot } from "./cli.js";

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  adminUrl: string;
  /** Everything the process wrote to stderr so far (its JSON logs). */
  stderr(): string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
}

/** Starts `sluice serve` (the built binary) on free ports and waits for its "serving" line. */
export async function serveProcess(args: string[], env: Record<string, string> = {}): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    ["bin/sluice.js", "serve", "--port", "0", "--admin-port", "0", ...args],
    {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)),
  );
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const match = /sluice: serving .*\n/.exec(out);
      if (match) resolve(match[0]);
    });
    exited.then((code) => reject(new Error(`sluice serve exited (${code}) before serving:\n${stderr}`)));
  });
  const [, url, adminUrl] = /on (http:\/\/\S+) admin (http:\/\/\S+)/.exec(line) ?? [];
  return { child, url: url as string, adminUrl: adminUrl as string, stderr: () => stderr, exited };
}
