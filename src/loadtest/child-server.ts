/**
 * The servers a bench loads run as child processes, so that the load generator never shares
 * their event loop (or their CPU time) with them: `sluice serve <graph>` and the bare
 * node:http baseline.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { SluiceError } from "../errors.js";
import { httpOnce } from "./http-once.js";

/** A server started for the bench. */
export interface ChildServer {
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** SIGTERM (a graceful drain), then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const sluiceBin = fileURLToPath(new URL("../../bin/sluice.js", import.meta.url));
const bareScript = fileURLToPath(new URL("./bare-server.js", import.meta.url));
const STARTUP_MS = 30_000;

/** What the child said before it died: its own `sluice:` error and hint, or its last lines. */
function lastWords(stderr: string): { said: string; hint?: string } {
  const lines = stderr.trim().split("\n");
  const said = lines.filter((l) => l.startsWith("sluice: ")).map((l) => l.slice("sluice: ".length));
  const hint = lines.find((l) => l.startsWith("hint: "))?.slice("hint: ".length);
  return { said: (said.length > 0 ? said : lines.slice(-5)).join("\n"), ...(hint ? { hint } : {}) };
}

function started(what: string, args: string[], announced: RegExp): Promise<ChildServer> {
  // A process group of its own: Ctrl-C in the terminal reaches only the bench, which then
  // stops the load first and the server after, instead of the server draining mid-load.
  const child: ChildProcess = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    // Only the tail matters (why it died); a long run must not grow this without end.
    stderr = (stderr + d.toString()).slice(-8000);
  });
  // A bench that fails or is interrupted must not leave a server behind holding the CPU.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => {
      process.removeListener("exit", killOnExit);
      resolve(code ?? signal ?? -1);
    }),
  );
  const stop = async (graceMs = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  };
  return new Promise<ChildServer>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      reject(new SluiceError("SLUICE_ERR_INTERNAL", `${what} did not start within ${STARTUP_MS / 1000}s`));
      void stop(0);
    }, STARTUP_MS);
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const origin = announced.exec(out)?.[1];
      if (origin === undefined) return;
      clearTimeout(timer);
      out = "";
      resolve({ origin, stop });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      const { said, hint } = lastWords(stderr);
      const message = `${what} exited (${code}) before serving: ${said}`;
      reject(
        new SluiceError(
          code === 1 ? "SLUICE_ERR_GRAPH_LOAD" : "SLUICE_ERR_INTERNAL",
          message,
          hint ? { hint } : {},
        ),
      );
    });
  });
}

/** Polls `/v2/health/ready` until it answers 200: the graphs are loaded and started. */
async function waitReady(server: ChildServer): Promise<void> {
  const deadline = Date.now() + STARTUP_MS;
  for (;;) {
    const answer = await httpOnce(`${server.origin}/v2/health/ready`, { timeoutMs: 2000 }).catch(
      () => undefined,
    );
    if (answer?.status === 200) return;
    if (Date.now() > deadline) {
      await server.stop(0);
      throw new SluiceError("SLUICE_ERR_INTERNAL", `sluice serve was not ready within ${STARTUP_MS / 1000}s`);
    }
    await sleep(50);
  }
}

/** Starts `sluice serve <file>` on free ports and resolves once it answers ready. */
export async function serveGraph(file: string, workers: number): Promise<ChildServer> {
  const args = [sluiceBin, "serve", file, "--port", "0", "--admin-port", "0", "--workers", String(workers)];
  const server = await started(`sluice serve ${file}`, args, /sluice: serving .* on (http:\/\/\S+)/);
  await waitReady(server);
  return server;
}

/** Starts the bare node:http server of `--baseline` (see bare-server.ts). */
export function serveBare(): Promise<ChildServer> {
  return started("the bare node:http server", [bareScript], /bare: serving on (http:\/\/\S+)/);
}
