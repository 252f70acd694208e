/**
 * A worker of `sluice serve --workers N`: it loads the graphs itself and serves the data
 * plane on the port it shares with its siblings; the primary runs the admin plane and talks
 * to it over IPC.
 */
import { AggregatorRegistry } from "prom-client";
import { localControl } from "./admin/index.js";
import {
  type PostedGraph,
  type SerializedError,
  serializeError,
  type WorkerMessage,
  type WorkerRequest,
} from "./cluster-messages.js";
import { installCrashGuard } from "./crash-guard.js";
import { failedModel, type ServeSettings, serveLogger, startGateway } from "./serve.js";

const settings = JSON.parse(process.env.SLUICE_SERVE_SETTINGS ?? "{}") as ServeSettings;
const logger = serveLogger();
const send = (message: WorkerMessage) => process.send?.(message);
const ours = new Set<string>([
  "put",
  "list",
  "describe",
  "draw",
  "metrics-json",
] satisfies WorkerRequest["type"][]);

/** The primary sends the graphs posted so far before anything else; a worker starts with them. */
const posted = await new Promise<PostedGraph[]>((resolve) => {
  const first = (message: WorkerRequest) => {
    if (message.type !== "posted") return;
    process.off("message", first);
    resolve(message.graphs);
  };
  process.on("message", first);
  send({ type: "hello" });
});

try {
  const gateway = await startGateway(settings, logger, false, posted);
  installCrashGuard(logger, gateway.metrics, { crashOnError: settings.crashOnError === true });
  const failed = settings.allowFailedModels ? undefined : await failedModel(gateway, settings.startTimeoutMs);
  if (failed) throw new Error(failed);
  // The primary's /metrics gathers every worker's registry through prom-client's cluster support.
  // Constructing one installs prom-client's IPC listener that answers the primary.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([gateway.metrics.registry]);
  const control = localControl(
    gateway.registry,
    gateway.metrics,
    gateway.compile,
    gateway.streams,
    settings.startTimeoutMs,
  );
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    gateway.close().then(
      () => process.exit(0),
      () => process.exit(3),
    );
  };
  // Ctrl-C reaches every process of the group; the primary decides, workers wait for its word.
  process.on("SIGINT", () => {});
  process.on("SIGTERM", stop);
  process.on("message", (request: WorkerRequest) => {
    if (request.type === "shutdown") return stop();
    if (request.type === "posted") return; // only read before starting
    // prom-client's metrics requests share this channel; they are not ours to answer.
    if (!ours.has(request.type)) return;
    const answer = async (): Promise<unknown> => {
      if (request.type === "put") return control.put(request.text, request.format);
      if (request.type === "list") return control.list();
      if (request.type === "draw") return control.drawing(request.name);
      if (request.type === "metrics-json") return control.metricsJson();
      if (request.type === "describe") return control.describe(request.name);
      return undefined;
    };
    answer().then(
      (value) => send({ type: "reply", id: request.id, ok: true, value }),
      (error: unknown) =>
        send({ type: "reply", id: request.id, ok: false, error: serializeError(error) as SerializedError }),
    );
  });
  send({
    type: "ready",
    port: gateway.address.port,
    address: gateway.address.address,
    grpc: gateway.grpc?.address,
  });
} catch (error) {
  logger.error({ err: error }, "worker failed to start");
  process.exit(3);
}
