import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.js";
import { onPath, runOrFail, type Service, startService, TestBedError, waitUntilReady } from "./process.js";

export interface RunningNats {
  url: string;
  port: number;
  storeDir: string;
  service: Service;
}

/** Debian's nats-server; installed with apt-get when missing (the machines here run as root). */
export function ensureNatsServer(): void {
  if (onPath("nats-server")) return;
  if (process.getuid?.() !== 0) {
    throw new TestBedError("nats-server", "it is not installed; run `sudo apt-get install -y nats-server`");
  }
  runOrFail("nats-server", "apt-get", ["update", "-qq"], "apt-get update");
  runOrFail("nats-server", "apt-get", ["install", "-y", "-qq", "nats-server"], "apt-get install nats-server");
}

/** Starts nats-server with JetStream on a free loopback port and a fresh store directory. */
export async function startNats(workDir: string): Promise<RunningNats> {
  ensureNatsServer();
  const port = await freePort();
  const storeDir = await mkdtemp(join(tmpdir(), "sluice-nats-"));
  const service = await launch(port, storeDir, join(workDir, "nats-server.log"));
  return { url: `nats://127.0.0.1:${port}`, port, storeDir, service };
}

/**
 * A nats-server of a test's own, for outages: `stop()` takes it down (SIGTERM, as an operator
 * would) and `restart()` brings it back on the same port with the same JetStream store, so
 * streams, consumers and their positions survive. `close()` stops it and removes its files.
 */
export interface RestartableNats {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  readonly running: boolean;
  stop(): Promise<void>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startRestartableNats(): Promise<RestartableNats> {
  ensureNatsServer();
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "sluice-nats-own-"));
  const storeDir = join(dir, "store");
  const logFile = join(dir, "nats-server.log");
  let service: Service | undefined = await launch(port, storeDir, logFile);
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    get running() {
      return service !== undefined;
    },
    async stop() {
      await service?.stop();
      service = undefined;
    },
    async restart() {
      if (service) return;
      service = await launch(port, storeDir, logFile);
    },
    async close() {
      await service?.stop(2_000);
      service = undefined;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function launch(port: number, storeDir: string, logFile: string): Promise<Service> {
  const service = startService(
    "nats-server",
    "nats-server",
    ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir, "-n", "sluice-test"],
    logFile,
  );
  // The server is ready once it greets a client with its INFO line.
  await waitUntilReady(service, () => natsGreets(port), 15_000);
  return service;
}

function natsGreets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.setTimeout(1000, () => socket.destroy());
    socket.once("data", (data) => {
      socket.destroy();
      resolve(data.toString().startsWith("INFO "));
    });
    socket.once("error", () => resolve(false));
    socket.once("close", () => resolve(false));
  });
}
