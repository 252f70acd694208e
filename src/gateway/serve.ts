import pino from "pino";
import {
  type CompiledGraph,
  type Logger,
  loadGraph,
  type QueueWriterFactory,
  withStartDeadline,
} from "../graph/index.js";
import { MonitoringStreams, QueueWriters } from "../triggers/index.js";
import { compilerIn } from "./admin/index.js";
import type { PostedGraph } from "./cluster-messages.js";
import { installCrashGuard } from "./crash-guard.js";
import { Gateway } from "./gateway.js";
import { GatewayMetrics } from "./metrics/index.js";

/** What `sluice serve` was asked to do, already checked. */
export interface ServeSettings {
  files: string[];
  port: number;
  host: string;
  adminPort: number;
  adminHost: string;
  adminToken: string | undefined;
  workers: number;
  timeoutMs: number;
  maxTimeoutMs: number;
  bodyLimit: number;
  mapping: string | undefined;
  version: string;
  /** How long a graceful stop may take before it is forced. */
  graceMs: number;
  /** Exit (3) on an error user code throws outside any request, instead of logging and serving on. */
  crashOnError?: boolean;
  /**
   * Folders step modules may be loaded from besides each graph file's folder tree (default:
   * the working directory). Graphs posted to the admin plane may use only these.
   */
  moduleRoots?: string[];
  /** How long a client may take to send its request headers (default 10 s). */
  headersTimeoutMs?: number;
  /** Keep serving when a command-line graph's model fails to load (its infer answers 503). */
  allowFailedModels?: boolean;
  /** How long loading a graph's modules, each start and the model loads may take (default 60 s). */
  startTimeoutMs?: number;
  /** Serve the OIP model repository extension (`/v2/repository/...`) on the data plane. */
  modelRepository?: boolean;
  /** Serve the OIP gRPC service on this port too (on `host`); off when undefined. */
  grpcPort?: number | undefined;
}

/** What loading a graph file waits on before its steps exist. */
const loadingModules = () => "its step modules (a top-level await?) and class constructors";

/**
 * Waits for the command-line graphs' models to load and names the first that failed (graph,
 * model and its error), or undefined when all loaded. `serve` exits on it unless
 * `--allow-failed-models`: a model that cannot load is a deployment mistake, seen at once.
 */
export async function failedModel(gateway: Gateway, limitMs = 60_000): Promise<string | undefined> {
  for (const graph of gateway.registry.graphs) {
    await withStartDeadline(graph.whenReady(), limitMs, `graph "${graph.name}"`, () => graph.waitingOn);
    for (const model of graph.models.values()) {
      if (model.loadError) {
        return `model "${model.key}" of graph "${graph.name}" failed to load: ${model.loadError.message}`;
      }
    }
  }
  return undefined;
}

export function serveLogger(): Logger {
  return pino(
    { level: process.env.SLUICE_LOG_LEVEL ?? "info", base: { pid: process.pid } },
    pino.destination(2),
  );
}

/** Loads and starts the graphs, then the gateway; resolves once it is listening. */
export async function startGateway(
  settings: ServeSettings,
  logger: Logger,
  adminPort: number | false = settings.adminPort,
  posted: readonly PostedGraph[] = [],
): Promise<Gateway> {
  const metrics = new GatewayMetrics();
  const observeStep = metrics.stepRecorder.bind(metrics);
  const queueWriters = new QueueWriters(logger);
  const queueWriter: QueueWriterFactory = (stream, doc) => queueWriters.writerFor(stream, doc);
  const monitoring = new MonitoringStreams(logger, (stream) => metrics.monitoring.meters(stream));
  const options = {
    logger,
    observeStep,
    observeBreaker: metrics.breakerRecorder.bind(metrics),
    queueWriter,
    monitoringSink: monitoring.sinkFor.bind(monitoring),
    moduleRoots: settings.moduleRoots ?? [process.cwd()],
    ...(settings.mapping ? { mapping: settings.mapping } : {}),
  };
  const graphs: CompiledGraph[] = [];
  const limit = settings.startTimeoutMs ?? 60_000;
  for (const file of settings.files) {
    graphs.push(
      await withStartDeadline(loadGraph(file, options), limit, `graph file ${file}`, loadingModules),
    );
  }
  // Module paths in posted documents resolve from where `sluice serve` was started.
  const compile = compilerIn(process.cwd(), options);
  // A worker started after graphs were posted gets them too (a posted graph replaces the
  // command-line graph of the same name, as it did in the workers that saw the post).
  for (const { name, text, format } of posted) {
    const graph = await compile(text, format);
    const at = graphs.findIndex((g) => g.name === name);
    if (at === -1) graphs.push(graph);
    else graphs[at] = graph;
  }
  for (const graph of graphs) {
    await withStartDeadline(graph.start(), limit, `graph "${graph.name}"`, () => graph.waitingOn);
  }
  return Gateway.start(graphs, {
    ...settings,
    adminPort,
    logger,
    metrics,
    queueWriters,
    monitoring,
    ...(settings.adminToken ? { adminToken: settings.adminToken } : {}),
    compile,
  });
}

/**
 * Serves until SIGTERM or SIGINT: the first signal drains (late requests get 503, in-flight
 * ones finish, graphs close) and exits 0; a second signal forces an exit 1 at once.
 */
export async function runServe(settings: ServeSettings): Promise<number> {
  if (settings.workers > 1) {
    const { runCluster } = await import("./cluster.js");
    return runCluster(settings);
  }
  const logger = serveLogger();
  const gateway = await startGateway(settings, logger);
  installCrashGuard(logger, gateway.metrics, { crashOnError: settings.crashOnError === true });
  announce(gateway, settings);
  if (!settings.allowFailedModels) {
    const failed = await failedModel(gateway, settings.startTimeoutMs);
    if (failed) {
      process.stderr.write(
        `sluice: ${failed}\nhint: fix the model, or serve the others with --allow-failed-models\n`,
      );
      gateway.forceClose();
      return 1;
    }
  }
  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      if (gateway.state !== "running") {
        logger.warn({ signal }, "second signal: stopping now");
        gateway.forceClose();
        resolve(1);
        return;
      }
      logger.info({ signal }, "draining: finishing in-flight requests");
      const grace = setTimeout(() => {
        logger.warn({ graceMs: settings.graceMs }, "grace period over: stopping now");
        gateway.forceClose();
        resolve(1);
      }, settings.graceMs);
      grace.unref();
      gateway.close().then(
        () => resolve(0),
        (error: unknown) => {
          logger.error({ err: error }, "shutdown failed");
          resolve(3);
        },
      );
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
}

/** One line on stdout that says where to call (tests and scripts read it). */
export function announce(gateway: Gateway, settings: ServeSettings): void {
  const url = `http://${gateway.address.address}:${gateway.address.port}`;
  const admin = gateway.adminAddress
    ? ` admin http://${gateway.adminAddress.address}:${gateway.adminAddress.port}`
    : "";
  process.stdout.write(
    `sluice: serving ${gateway.registry.names.join(", ")} on ${url}${admin}${grpcPart(gateway.grpc?.address)} (${settings.workers} worker${settings.workers > 1 ? "s" : ""})\n`,
  );
}

/** ` grpc <host>:<port>` for the serving line, when gRPC is served. */
export function grpcPart(address: { address: string; port: number } | undefined): string {
  if (!address) return "";
  const host = address.address.includes(":") ? `[${address.address}]` : address.address;
  return ` grpc ${host}:${address.port}`;
}
