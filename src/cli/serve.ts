import { resolve } from "node:path";
import type { Command } from "commander";
import { SluiceError } from "../errors.js";
import type { ServeSettings } from "../gateway/serve.js";
import { version } from "../version.js";
import { parseDurationFlag, parsePort, parsePositiveInt, parseSize } from "./options.js";
import { reportError } from "./output.js";

interface ServeFlags {
  port: string;
  host: string;
  adminPort: string;
  adminHost: string;
  adminToken?: string;
  workers: string;
  timeout: string;
  maxTimeout: string;
  bodyLimit: string;
  mapping?: string;
  grace: string;
  crashOnError?: boolean;
  moduleRoot: string[];
  headerTimeout: string;
  allowFailedModels?: boolean;
  startTimeout: string;
  modelRepository?: boolean;
  grpcPort?: string;
}

/** True for an address only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function settingsOf(files: string[], flags: ServeFlags): ServeSettings {
  const timeoutMs = parseDurationFlag(flags.timeout, "--timeout");
  const adminToken = flags.adminToken ?? process.env.SLUICE_ADMIN_TOKEN;
  // The admin plane loads graphs, and so runs code: reachable from elsewhere, it needs a token.
  if (!isLoopback(flags.adminHost) && !adminToken) {
    throw new SluiceError(
      "SLUICE_ERR_USAGE",
      `--admin-host ${flags.adminHost} is reachable from other machines: set --admin-token (or SLUICE_ADMIN_TOKEN) too`,
      { hint: "the admin plane loads graphs, which run code as this server's user" },
    );
  }
  const workers = parseWorkers(flags.workers);
  if (flags.modelRepository) checkModelRepository(flags.host, adminToken, workers);
  return {
    files,
    port: parsePort(flags.port, "--port"),
    host: flags.host,
    adminPort: parsePort(flags.adminPort, "--admin-port"),
    adminHost: flags.adminHost,
    adminToken,
    workers,
    timeoutMs,
    maxTimeoutMs: Math.max(timeoutMs, parseDurationFlag(flags.maxTimeout, "--max-timeout")),
    bodyLimit: parseSize(flags.bodyLimit, "--body-limit"),
    mapping: flags.mapping,
    version,
    graceMs: parseDurationFlag(flags.grace, "--grace"),
    headersTimeoutMs: parseDurationFlag(flags.headerTimeout, "--header-timeout"),
    allowFailedModels: flags.allowFailedModels === true,
    startTimeoutMs: parseDurationFlag(flags.startTimeout, "--start-timeout"),
    crashOnError: flags.crashOnError === true,
    modelRepository: flags.modelRepository === true,
    grpcPort: flags.grpcPort === undefined ? undefined : parsePort(flags.grpcPort, "--grpc-port"),
    moduleRoots: flags.moduleRoot.length > 0 ? flags.moduleRoot.map((dir) => resolve(dir)) : [process.cwd()],
  };
}

/**
 * `--model-repository` serves model unloads on the data plane: reachable from other machines,
 * it needs the admin token; and with several workers an unload would reach one of them only.
 */
function checkModelRepository(host: string, adminToken: string | undefined, workers: number): void {
  if (!isLoopback(host) && !adminToken) {
    throw new SluiceError(
      "SLUICE_ERR_USAGE",
      `--model-repository on --host ${host} lets other machines unload models: set --admin-token (or SLUICE_ADMIN_TOKEN) too`,
      { hint: "model loads and unloads then need Authorization: Bearer <token>" },
    );
  }
  if (workers > 1) {
    throw new SluiceError(
      "SLUICE_ERR_USAGE",
      `--model-repository works with one worker only (--workers ${workers}): a load or unload would reach one worker of ${workers}`,
    );
  }
}

/** The most processes `--workers` may ask for: beyond that a typo (`--workers 1000`) forks a storm. */
export const maxWorkers = 64;

function parseWorkers(value: string): number {
  const workers = parsePositiveInt(value, "--workers");
  if (workers > maxWorkers) {
    throw new SluiceError("SLUICE_ERR_USAGE", `--workers must be at most ${maxWorkers}, got "${value}"`);
  }
  return workers;
}

/** `sluice serve <graph>...`: the data plane, the admin plane, and the graphs' triggers. */
export function registerServe(program: Command): void {
  program
    .command("serve")
    .argument("<graph...>", "graph documents to serve (the first is also served at /)")
    .description("load graphs, serve HTTP and start the graphs' stream triggers")
    .option("--port <n>", "data plane port (0: any free port)", "8080")
    .option("--host <addr>", "data plane address", "127.0.0.1")
    .option("--admin-port <n>", "admin plane port (0: any free port)", "8081")
    .option(
      "--grpc-port <n>",
      "also serve the Open Inference Protocol over gRPC on this port (0: any free port)",
    )
    .option("--admin-host <addr>", "admin plane address", "127.0.0.1")
    .option("--admin-token <token>", "bearer token the admin plane's writes need (or SLUICE_ADMIN_TOKEN)")
    .option("--workers <n>", "processes sharing the data plane port", "1")
    .option("--timeout <duration>", "per-request deadline", "60s")
    .option("--max-timeout <duration>", "the most a caller may ask for with x-request-timeout", "300s")
    .option("--body-limit <size>", "largest request body", "4mb")
    .option("--mapping <file>", "class mapping for MLRun serving functions")
    .option("--header-timeout <duration>", "how long a client may take to send its request headers", "10s")
    .option("--grace <duration>", "how long a graceful stop may take before it is forced", "30s")
    .option(
      "--module-root <dir>",
      "a folder step modules may be loaded from besides each graph's own folder (repeatable; default: the working directory)",
      (dir: string, all: string[]) => [...all, dir],
      [] as string[],
    )
    .option(
      "--start-timeout <duration>",
      "how long loading modules, each step's init() and the model loads may take before serve gives up",
      "60s",
    )
    .option(
      "--allow-failed-models",
      "keep serving when a model fails to load (its infer answers 503 naming the error)",
    )
    .option(
      "--model-repository",
      "serve the OIP model repository extension (/v2/repository/index, .../models/<m>/load and /unload); loads and unloads need the admin token when one is set",
    )
    .option(
      "--crash-on-error",
      "exit (3) when user code throws outside a request (a timer, an unhandled rejection) instead of logging it and serving on",
    )
    .action(async (files: string[], flags: ServeFlags) => {
      const settings = settingsOf(files, flags);
      // Loaded on demand, so `sluice --help` stays fast.
      const { runServe } = await import("../gateway/serve.js");
      // Exit explicitly: after a forced stop (or a start that timed out), steps still running
      // must not hold the process.
      try {
        process.exit(await runServe(settings));
      } catch (error) {
        process.exit(reportError(error, false));
      }
    });
}
