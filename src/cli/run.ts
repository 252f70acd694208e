import { join } from "node:path";
import type { Command } from "commander";
import { SluiceError } from "../errors.js";
import type { FunctionStore, LocatedFunction, RunRecord } from "../runtimes/index.js";
import { parseDurationFlag } from "./options.js";
import { reportError } from "./output.js";

interface RunFlags {
  local?: boolean;
  param?: string[];
  wait?: boolean;
  watch?: boolean;
  namespace?: string;
  image?: string;
  kubeconfig?: string;
  context?: string;
  timeout?: string;
  handler?: string;
  store?: string;
  hub?: string;
  output: string;
}

function took(record: RunRecord): string {
  const ms = Date.parse(record.end ?? record.start) - Date.parse(record.start);
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * `sluice run <function> [--param K=V]...`: without `--local` the function goes to the
 * Kubernetes cluster of the kubeconfig (a Job, DaskJob, MPIJob or SparkApplication); with
 * `--wait` the command follows it and exits 0 when it completed, 3 when it failed.
 * `--local`: a handler function runs in this process, a local (or job) function's command in a
 * child process with the function's env, its output streamed. Either way the run record (uid,
 * start, end, state, results, and where it ran) is kept in the store.
 */
export function registerRun(program: Command): void {
  program
    .command("run")
    .argument("<function>", "function document, hub://name[:tag], or a stored name[:tag|@hash]")
    .description("run a batch function (a local process, or a Kubernetes Job / CRD)")
    .option("--local", "run on this machine")
    .option("--param <k=v...>", "a parameter (repeatable); JSON values are parsed: --param epochs=3")
    .option(
      "--wait",
      "on a cluster: follow the run until it finishes; exit 0 when it completed, 3 when it failed",
    )
    .option("--watch", "on a cluster: like --wait, and stream its pods' logs where the cluster serves them")
    .option("--namespace <ns>", "on a cluster: the namespace (default: the kubeconfig context's)")
    .option("--image <image>", "on a cluster: run this image instead of the function's")
    .option(
      "--kubeconfig <file>",
      "on a cluster: the kubeconfig (default: $KUBECONFIG, ~/.kube/config, in-cluster)",
    )
    .option("--context <name>", "on a cluster: a context of the kubeconfig")
    .option(
      "--timeout <duration>",
      "stop the run after this long (e.g. 30s, 5m); on a cluster, stop following it",
    )
    .option("--handler <name>", "the exported function to call (handler kind; default: spec.default_handler)")
    .option("--store <file>", "the function store (default: $SLUICE_STORE, else $SLUICE_HOME/functions.db)")
    .option("--hub <dir|url>", "the hub for hub:// references (default: $SLUICE_HUB, else the bundled one)")
    .option("-o, --output <format>", "text | json (json: the run record on stdout)", "text")
    .action(async (target: string, flags: RunFlags) => {
      if (flags.output !== "text" && flags.output !== "json") {
        throw new SluiceError("SLUICE_ERR_USAGE", `-o must be text or json, got "${flags.output}"`);
      }
      const timeoutMs =
        flags.timeout === undefined ? undefined : parseDurationFlag(flags.timeout, "--timeout");
      const rt = await import("../runtimes/index.js");
      const params = rt.parseParams(flags.param);
      let store: FunctionStore | undefined;
      const openStore = () => {
        store ??= rt.FunctionStore.open(rt.storePath(flags.store));
        return store;
      };
      try {
        const located = await rt.locateFunction(target, { store: openStore, hub: flags.hub });
        for (const note of located.notes) process.stderr.write(`note: ${note}\n`);
        if (!flags.local) {
          const record = await runWithSignals((signal) =>
            runOnCluster(located, flags, params, openStore(), timeoutMs, signal),
          );
          report(record, flags.output === "json");
          if (record.state !== "completed" && record.state !== "running") throw failure(record);
          if (record.state === "running" && (flags.wait || flags.watch)) throw failure(record);
          return;
        }
        const record = await runWithSignals((signal) =>
          rt.runLocally(located.fn, {
            params,
            origin: located.origin,
            cacheDir: join(rt.sluiceHome(), "cache"),
            store: openStore(),
            signal,
            ...(timeoutMs === undefined ? {} : { timeoutMs }),
            ...(flags.handler ? { handler: flags.handler } : {}),
          }),
        );
        report(record, flags.output === "json");
        const error = record.state === "completed" ? undefined : failure(record);
        if (record.kind === "handler") {
          // In-process code may still hold the event loop (a timer, a socket, a handler past its
          // timeout): the run is over, so the process ends here rather than waiting on it.
          store?.close();
          store = undefined;
          process.exit(error ? reportError(error, process.argv.includes("--verbose")) : 0);
        }
        if (error) throw error;
      } finally {
        store?.close();
      }
    });
}

async function runOnCluster(
  located: LocatedFunction,
  flags: RunFlags,
  params: Record<string, unknown>,
  store: FunctionStore,
  timeoutMs: number | undefined,
  signal: AbortSignal,
): Promise<RunRecord> {
  // Loaded only for cluster runs: the Kubernetes client is the heaviest import of the command line.
  const [rt, { Cluster }, { runOnCluster: run }] = await Promise.all([
    import("../runtimes/index.js"),
    import("../runtimes/cluster/index.js"),
    import("../runtimes/run/on-cluster.js"),
  ]);
  const cluster = Cluster.connect({
    ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
    ...(flags.context ? { context: flags.context } : {}),
  });
  const follow = flags.wait || flags.watch;
  const { record } = await run(located.fn, {
    cluster,
    namespace: flags.namespace ?? cluster.namespace,
    params,
    origin: located.origin,
    cacheDir: join(rt.sluiceHome(), "cache"),
    store,
    wait: Boolean(follow),
    signal,
    log: (line) => process.stderr.write(`${line}\n`),
    ...(flags.watch ? { logs: process.stdout } : {}),
    ...(flags.image ? { image: flags.image } : {}),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  if (!follow && flags.output !== "json") {
    const t = record.target;
    process.stderr.write(
      `run ${record.uid.slice(0, 12)} of ${record.name} started as ${t?.kind} ${t?.namespace}/${t?.name}; sluice functions runs ${record.name} shows it\n`,
    );
  }
  return record;
}

/** The first SIGINT/SIGTERM stops the run gracefully (recorded as aborted); a second one exits. */
async function runWithSignals<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write("stopping the run (again to force)\n");
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return await run(controller.signal);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

function report(record: RunRecord, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
    return;
  }
  if (record.state !== "completed") return;
  process.stderr.write(`run ${record.uid.slice(0, 12)} of ${record.name} completed in ${took(record)}\n`);
  if (Object.keys(record.results).length > 0)
    process.stderr.write(`results: ${JSON.stringify(record.results)}\n`);
}

function failure(record: RunRecord): SluiceError {
  const code =
    (record.state === "aborted" && record.error?.startsWith("timed out")) || record.state === "running"
      ? "SLUICE_ERR_RUN_TIMEOUT"
      : "SLUICE_ERR_RUN_FAILED";
  return new SluiceError(
    code,
    `run ${record.uid.slice(0, 12)} of ${record.name} ${record.state}: ${record.error ?? "failed"}`,
    {
      hint: `sluice functions runs ${record.name} lists its runs`,
    },
  );
}
