import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { SluiceError } from "../../errors.js";
import { applyObjects, type Cluster, type ClusterObject, refText, waitUntilReady } from "../cluster/index.js";
import { streamPodLogs } from "../cluster/pod-logs.js";
import type { FunctionObject } from "../function-object.js";
import { type BatchRunInput, renderBatch } from "../render/batch/index.js";
import { type KubeObject, labels } from "../render/objects.js";
import { type RunRecord, startedRun } from "../store/runs.js";
import type { FunctionStore } from "../store/store.js";
import type { AnyFunctionDocument } from "../types.js";
import { locateCode } from "./code.js";

export interface ClusterRunOptions {
  cluster: Cluster;
  namespace: string;
  params?: Record<string, unknown>;
  /** Where the function's relative paths resolve (its document's folder, or a hub URL). */
  origin: string;
  cacheDir: string;
  store?: FunctionStore;
  /** `--image`: overrides the function's image. */
  image?: string;
  /** Follow the run until it finishes (`--wait`); otherwise return once it is created. */
  wait?: boolean;
  /** With `wait`: give up following after this long (the run goes on in the cluster). */
  timeoutMs?: number;
  /** One line per change of the run's state, and the pod logs where the cluster serves them. */
  log?: (line: string) => void;
  logs?: NodeJS.WritableStream;
  signal?: AbortSignal;
}

/** The objects a run created, as the record names them. */
export interface ClusterRunResult {
  record: RunRecord;
  objects: KubeObject[];
}

/** The workload of a run: the last object rendered (a code ConfigMap may come first). */
function workloadOf(objects: KubeObject[]): KubeObject {
  return objects[objects.length - 1] as KubeObject;
}

/** Code beside the function's document (or in its hub) is shipped with the run; a program is left to the image. */
async function shippedCode(
  fn: FunctionObject,
  origin: string,
  cacheDir: string,
): Promise<BatchRunInput["code"]> {
  const spec = fn.spec as { command?: string; build?: { functionSourceCode?: string } };
  if (spec.build?.functionSourceCode !== undefined || spec.command === undefined) return undefined;
  try {
    const code = await locateCode(fn, origin, cacheDir);
    if (!("file" in code)) return undefined;
    return { name: basename(spec.command), content: await readFile(code.file, "utf8") };
  } catch (error) {
    // A file that is not beside the document may be in the image, where the pod will look.
    if (error instanceof SluiceError && error.code === "SLUICE_ERR_FUNCTION_INVALID") return undefined;
    throw error;
  }
}

/**
 * Runs a batch function on Kubernetes (MLRun's `fn.run()`): renders its objects (a Job, a
 * DaskJob, an MPIJob or a SparkApplication), creates them, records the run in the store and,
 * with `wait`, follows its status with a watch that resumes after a cut connection until it
 * completes or fails. The record says where it ran, its state, and why it failed.
 */
export async function runOnCluster(
  fn: FunctionObject,
  options: ClusterRunOptions,
): Promise<ClusterRunResult> {
  const log = options.log ?? (() => {});
  const params = options.params ?? {};
  const record = startedRun(fn, params);
  const uid = record.uid;
  const code = await shippedCode(fn, options.origin, options.cacheDir);
  const objects = renderBatch(
    fn.document() as AnyFunctionDocument,
    { uid, params, ...(code ? { code } : {}) },
    { namespace: options.namespace, ...(options.image ? { image: options.image } : {}) },
  );
  const workload = workloadOf(objects);
  record.target = {
    namespace: options.namespace,
    apiVersion: workload.apiVersion,
    kind: workload.kind,
    name: workload.metadata.name,
  };
  options.store?.put(fn, { tag: null, origin: options.origin });
  await applyObjects(options.cluster, objects, ({ object, action }) => log(`${refText(object)} ${action}`));
  options.store?.saveRun(record);
  if (!options.wait) return { record, objects };

  const logs = options.logs ? followLogs(options, workload, log) : undefined;
  const [result] = await waitUntilReady(options.cluster, [workload], {
    timeoutMs: options.timeoutMs ?? 24 * 3600 * 1000,
    ...(options.signal ? { signal: options.signal } : {}),
    onChange: ({ readiness }) => log(`${refText(workload)}: ${readiness.reason}`),
  });
  logs?.stop();
  const readiness = result?.readiness ?? { state: "pending", reason: "not seen" };
  if (readiness.state === "pending") {
    // The run goes on in the cluster; only the following stopped.
    record.error = options.signal?.aborted
      ? `stopped following; ${refText(workload)} is still ${readiness.reason}`
      : `still ${readiness.reason} after ${Math.round((options.timeoutMs ?? 0) / 1000)} s; ${refText(workload)} goes on`;
    return { record, objects };
  }
  const pod = await lastPod(options.cluster, options.namespace, uid);
  const terminated = pod ? terminatedState(pod) : undefined;
  if (terminated?.exitCode !== undefined) record.exit_code = terminated.exitCode;
  record.results = resultsOf(terminated?.message);
  record.end = new Date().toISOString();
  if (readiness.state === "ready") {
    record.state = "completed";
  } else {
    record.state = "error";
    const exit =
      terminated?.exitCode !== undefined ? `; its pod exited with code ${terminated.exitCode}` : "";
    const reason = terminated?.reason && terminated.reason !== "Error" ? ` (${terminated.reason})` : "";
    record.error = `${workload.kind} ${workload.metadata.name} failed: ${readiness.reason}${exit}${reason}`;
  }
  options.store?.saveRun(record);
  return { record, objects };
}

interface Terminated {
  exitCode?: number;
  reason?: string;
  message?: string;
}

/** The run's pods carry its uid label (renderBatch copies it into every pod template). */
async function lastPod(cluster: Cluster, namespace: string, uid: string): Promise<ClusterObject | undefined> {
  const { items } = await cluster.list("v1", "Pod", { namespace, labelSelector: `${labels.run}=${uid}` });
  return items.sort((a, b) =>
    String(a.metadata.creationTimestamp ?? "").localeCompare(String(b.metadata.creationTimestamp ?? "")),
  )[items.length - 1];
}

function terminatedState(pod: ClusterObject): Terminated | undefined {
  const statuses = (
    pod.status as { containerStatuses?: { state?: { terminated?: Terminated } }[] } | undefined
  )?.containerStatuses;
  return statuses?.map((s) => s.state?.terminated).find((t) => t !== undefined);
}

/** A script hands back results by writing JSON to SLUICE_RESULTS_FILE, the container's termination log. */
function resultsOf(message: string | undefined): Record<string, unknown> {
  if (!message?.trim()) return {};
  try {
    const value = JSON.parse(message) as unknown;
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : { return: value };
  } catch {
    return { results_file: "not JSON" };
  }
}

/** Streams the logs of the run's pods as they start; says once if the cluster cannot serve them. */
function followLogs(
  options: ClusterRunOptions,
  workload: KubeObject,
  log: (line: string) => void,
): { stop(): void } {
  const uid = workload.metadata.labels?.[labels.run] ?? "";
  return streamPodLogs(options.cluster, {
    namespace: options.namespace,
    selector: `${labels.run}=${uid}`,
    out: options.logs as NodeJS.WritableStream,
    onUnavailable: (reason) =>
      log(`logs: the cluster does not serve this run's pod logs (${reason}); not asking again`),
  });
}
