import cluster, { type Worker } from "node:cluster";
import { fileURLToPath } from "node:url";
import { AggregatorRegistry } from "prom-client";
import { checkGraphFile, GraphInvalidError } from "../graph/index.js";
import { type GraphControl, lazyAdmin, startAdmin } from "./admin/index.js";
import { deserializeError, type WorkerMessage, type WorkerRequest } from "./cluster-messages.js";
import { type ServeSettings, serveLogger } from "./serve.js";

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

/**
 * `sluice serve --workers N`: N processes share the data plane port (node:cluster), each
 * loading the graphs once. This primary process checks the graphs before forking, runs the
 * admin plane (metrics gathered from every worker; graph loads sent to all of them), restarts
 * workers that die, and on a signal tells every worker to drain.
 */
export async function runCluster(settings: ServeSettings): Promise<number> {
  const logger = serveLogger();
  // Fail fast, with the problems, before forking N processes that would all fail alike.
  for (const file of settings.files) {
    const problems = await checkGraphFile(file, settings.mapping ? { mapping: settings.mapping } : {});
    if (problems.length > 0) throw new GraphInvalidError(problems);
  }

  cluster.setupPrimary({ exec: fileURLToPath(new URL("./cluster-worker.js", import.meta.url)), args: [] });
  const env = { SLUICE_SERVE_SETTINGS: JSON.stringify(settings) };
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let stopping = false;

  const fork = (): Promise<{ port: number; address: string }> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork(env);
      worker.on("message", (message: WorkerMessage) => {
        if (message.type === "ready") resolve(message);
        else if (message.type === "reply") {
          const waiting = pending.get(message.id);
          pending.delete(message.id);
          if (message.ok) waiting?.resolve(message.value);
          else waiting?.reject(deserializeError(message.error));
        }
      });
      worker.once("exit", (code) =>
        reject(new Error(`worker ${worker.process.pid} exited with code ${code} while starting`)),
      );
    });

  const first = await Promise.all(Array.from({ length: settings.workers }, fork));
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) return;
    logger.error({ pid: worker.process.pid, code, signal }, "worker died; starting a new one");
    fork().catch((error: unknown) => logger.error({ err: error }, "replacement worker failed to start"));
  });

  const workers = () =>
    Object.values(cluster.workers ?? {}).filter((w): w is Worker => w?.isConnected() === true);
  const ask = (worker: Worker, request: WorkerRequest & { id: number }) =>
    new Promise<unknown>((resolve, reject) => {
      pending.set(request.id, { resolve, reject });
      worker.send(request);
    });
  const aggregator = new AggregatorRegistry();
  const control: GraphControl = {
    list: async () => (await ask(workers()[0] as Worker, { type: "list", id: nextId++ })) as never,
    describe: async (name) =>
      (await ask(workers()[0] as Worker, { type: "describe", id: nextId++, name })) as never,
    // Every worker loads the new version; the answer is the first one's (they agree).
    put: async (text, format) => {
      const answers = await Promise.all(
        workers().map((w) => ask(w, { type: "put", id: nextId++, text, format })),
      );
      return answers[0] as { name: string; replaced: boolean };
    },
    metrics: async () => ({ contentType: aggregator.contentType, text: await aggregator.clusterMetrics() }),
    // Each worker's JSON, merged as /metrics merges them (sums; the breaker gauge takes the max).
    metricsJson: async () => {
      const each = await Promise.all(workers().map((w) => ask(w, { type: "metrics-json", id: nextId++ })));
      return AggregatorRegistry.aggregate(each as never).getMetricsAsJSON();
    },
    drawing: async (name) =>
      (await ask(workers()[0] as Worker, { type: "draw", id: nextId++, name })) as string | undefined,
  };
  const admin = await startAdmin(
    lazyAdmin({ control, logger, ...(settings.adminToken ? { token: settings.adminToken } : {}) }),
    settings.adminPort,
    settings.adminHost,
  );
  const adminAddress = admin.address() as { address: string; port: number };
  const where = first[0] as { port: number; address: string };
  process.stdout.write(
    `sluice: serving ${settings.files.length} graph file(s) on http://${where.address}:${where.port} admin http://${adminAddress.address}:${adminAddress.port} (${settings.workers} workers)\n`,
  );

  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn({ signal }, "second signal: stopping now");
        for (const worker of workers()) worker.process.kill("SIGKILL");
        resolve(1);
        return;
      }
      stopping = true;
      logger.info({ signal }, "draining every worker");
      admin.close();
      admin.closeAllConnections();
      for (const worker of workers()) worker.send({ type: "shutdown" } satisfies WorkerRequest);
      const check = () => {
        if (Object.keys(cluster.workers ?? {}).length === 0) resolve(0);
      };
      cluster.on("exit", check);
      check();
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
}
