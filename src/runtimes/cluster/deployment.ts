import { type KubeObject, labels } from "../render/objects.js";
import {
  type Applied,
  applyObjects,
  deleteSelected,
  type KindRef,
  type ProgressListener,
} from "./apply-set.js";
import type { Cluster, ClusterObject } from "./client.js";
import { type WaitResult, waitUntilReady } from "./wait.js";

/**
 * The kinds a deployed graph may hold, in apply order, for pruning and `--delete`. The
 * NuclioProject is left out: several graphs of a project share it, so removing one graph
 * must not take it from the others.
 */
export const deployedKinds: readonly KindRef[] = [
  { apiVersion: "v1", kind: "ConfigMap" },
  { apiVersion: "nuclio.io/v1beta1", kind: "NuclioFunction" },
  { apiVersion: "apps/v1", kind: "Deployment" },
  { apiVersion: "v1", kind: "Service" },
  { apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler" },
  { apiVersion: "policy/v1", kind: "PodDisruptionBudget" },
];

/** The label selector that names everything a graph (or a deployed function) put on the cluster. */
export function ownedBy(objects: readonly KubeObject[]): string {
  const graph = objects.map((o) => o.metadata.labels?.[labels.graph]).find((g) => g !== undefined);
  if (graph !== undefined) return `${labels.graph}=${graph},${labels.managedBy}=sluice`;
  const fn = objects.map((o) => o.metadata.labels?.[labels.function]).find((f) => f !== undefined);
  if (fn !== undefined) return `${labels.function}=${fn},${labels.managedBy}=sluice`;
  throw new Error("rendered objects carry neither sluice.io/graph nor sluice.io/function");
}

export interface DeployResult {
  applied: Applied[];
  pruned: ClusterObject[];
  /** With `wait`: each followed object's last readiness. */
  waited?: WaitResult[];
}

/**
 * `sluice deploy`: applies the rendered objects (unchanged ones are not written), then
 * removes what the same graph deployed before and no longer renders, then optionally waits
 * for readiness. Pruning runs after the apply, so the new functions exist before the old ones go.
 */
export async function deploy(
  cluster: Cluster,
  objects: readonly KubeObject[],
  options: {
    namespace: string;
    wait?: { timeoutMs: number; signal?: AbortSignal; onChange?: (result: WaitResult) => void };
    onProgress?: ProgressListener;
  },
): Promise<DeployResult> {
  const applied = await applyObjects(cluster, objects, options.onProgress);
  const pruned = await deleteSelected(
    cluster,
    { namespace: options.namespace, selector: ownedBy(objects), kinds: deployedKinds, keep: objects },
    options.onProgress,
  );
  if (!options.wait) return { applied, pruned };
  const waited = await waitUntilReady(cluster, objects, options.wait);
  return { applied, pruned, waited };
}

/** `sluice deploy --delete`: removes exactly what this graph deployed (selected by its labels). */
export function undeploy(
  cluster: Cluster,
  objects: readonly KubeObject[],
  options: { namespace: string; onProgress?: ProgressListener },
): Promise<ClusterObject[]> {
  return deleteSelected(
    cluster,
    { namespace: options.namespace, selector: ownedBy(objects), kinds: deployedKinds },
    options.onProgress,
  );
}
