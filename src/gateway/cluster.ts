import cluster, { type Worker } from "node:cluster";
import { fileURLToPath } from "node:url";
import { AggregatorRegistry } from "prom-client";
import { checkGraphFile, GraphInvalidError } from "../graph/index.js";
import { type GraphControl, lazyAdmin, startAdmin } from "./admin/index.js";
import {
  deserializeError,
  type PostedGraph,
  type WorkerMessage,
  type WorkerRequest,
} from "./cluster-messages.js";
import { grpcPart, type ServeSettings, serveLogger } from "./serve.js";

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
    const problems = await checkGraphFile(file, {
      ...(settings.mapping ? { mapping: settings.mapping } : {}),
      ...(settings.moduleRoots ? { moduleRoots: settings.moduleRoots } : {}),
    });
    if (problems.length > 0) throw new GraphInvalidError(problems);
  }

  cluster.setupPrimary({ exec: fileURLToPath(new URL("./cluster-worker.js", import.meta.url)), args: [] });
  const env = { SLUICE_SERVE_SETTINGS: JSON.stringify(settings) };
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let stopping = false;
  // The primary owns the set of posted graphs: a worker started later (after a crash) gets
  // them all, so every worker serves the same graphs that `/api/graphs` lists.
  const posted = new Map<string, PostedGraph>();
  const serving = new WeakSet<Worker>();

  const fork = (): Promise<{ port: number; address: string; grpc?: { port: number; address: string } }> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork(env);
      worker.on("message", (message: WorkerMessage) => {
        if (message.type === "hello") {
          worker.send({ type: "posted", graphs: [...posted.values()] } satisfies WorkerRequest);
        } else if (message.type === "ready") {
          serving.add(worker);
          resolve(message);
        } else if (message.type === "reply") {
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
  const restarts = new RestartBackoff();
  const replace = (): void => {
    const delay = restarts.next();
    if (delay === undefined) {
      logger.error(
        { attempts: RestartBackoff.attempts, workers: workers().length },
        `a replacement worker failed to start ${RestartBackoff.attempts} times in a row: not starting another`,
      );
      if (workers().length === 0 && !stopping) {
        logger.error({}, "no worker is left: exiting");
        process.exit(3);
      }
      return;
    }
    setTimeout(() => {
      if (stopping) return;
      fork().then(
        () => restarts.succeeded(),
        (error: unknown) => {
          restarts.failed();
          logger.error({ err: error }, "replacement worker failed to start");
          replace();
        },
      );
    }, delay).unref();
  };
  cluster.on("exit", (worker, code, signal) => {
    // A worker that dies while starting is its fork's failure (and the backoff's), not a death.
    if (stopping || !serving.has(worker)) return;
    logger.error({ worker: worker.process.pid, code, signal }, "worker died; starting a new one");
    replace();
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
      const answer = answers[0] as { name: string; replaced: boolean };
      posted.set(answer.name, { name: answer.name, text, format });
      return answer;
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
  const where = first[0] as { port: number; address: string; grpc?: { port: number; address: string } };
  process.stdout.write(
    `sluice: serving ${settings.files.length} graph file(s) on http://${where.address}:${where.port} admin http://${adminAddress.address}:${adminAddress.port}${grpcPart(where.grpc)} (${settings.workers} workers)\n`,
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

/**
 * When to start the next replacement worker: at once after a serving worker died, then
 * doubling (100 ms, 200 ms, ...) while replacements keep failing to start, and never again
 * after `attempts` failures in a row (a graph that cannot load would otherwise fork forever).
 */
class RestartBackoff {
  static readonly attempts = 5;
  #failures = 0;

  /** The delay before the next attempt, or undefined to give up. */
  next(): number | undefined {
    if (this.#failures >= RestartBackoff.attempts) return undefined;
    return this.#failures === 0 ? 0 : 100 * 2 ** (this.#failures - 1);
  }

  failed(): void {
    this.#failures++;
  }

  succeeded(): void {
    this.#failures = 0;
  }
}
