import { type KubeObject, labels, managerName } from "../render/objects.js";
import type { Cluster, ClusterObject, ObjectRef } from "./client.js";

/** What applying one object did. */
export type ApplyAction = "created" | "configured" | "unchanged";

export interface Applied {
  object: KubeObject;
  action: ApplyAction;
  /** The object as the server holds it after the call (the live one when unchanged). */
  live: ClusterObject;
}

export type ProgressListener = (event: {
  object: KubeObject;
  action: ApplyAction | "deleted" | "pruned";
}) => void;

export function refOf(object: KubeObject | ClusterObject): ObjectRef {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.metadata.name,
    ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
  };
}

/**
 * The live copies of the objects sluice manages among `objects`: one list per kind and
 * namespace (selected by the managed-by label) rather than a GET per object, so a redeploy
 * of 100 unchanged functions costs a handful of requests.
 */
async function liveCopies(
  cluster: Cluster,
  objects: readonly KubeObject[],
): Promise<Map<string, ClusterObject>> {
  const groups = new Map<string, { apiVersion: string; kind: string; namespace?: string }>();
  for (const o of objects) {
    const ns = o.metadata.namespace;
    groups.set(`${o.apiVersion}/${o.kind}/${ns ?? ""}`, {
      apiVersion: o.apiVersion,
      kind: o.kind,
      ...(ns ? { namespace: ns } : {}),
    });
  }
  const live = new Map<string, ClusterObject>();
  for (const { apiVersion, kind, namespace } of groups.values()) {
    const { items } = await cluster.list(apiVersion, kind, {
      labelSelector: `${labels.managedBy}=${managerName}`,
      ...(namespace ? { namespace } : {}),
    });
    for (const item of items) live.set(keyOf(item), item);
  }
  return live;
}

function keyOf(o: KubeObject | ClusterObject): string {
  return `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
}

/**
 * Applies objects in order with server-side apply, skipping every object whose live copy
 * already carries the same `sluice.io/hash`: a redeploy of an unchanged graph reads but never
 * writes, so nothing rolls and no resourceVersion moves. An object without a hash label is
 * always applied.
 */
export async function applyObjects(
  cluster: Cluster,
  objects: readonly KubeObject[],
  onProgress: ProgressListener = () => {},
): Promise<Applied[]> {
  const current = await liveCopies(cluster, objects);
  const results: Applied[] = [];
  for (const object of objects) {
    const desired = object.metadata.labels?.[labels.hash];
    const live = current.get(keyOf(object));
    if (live && desired !== undefined && live.metadata.labels?.[labels.hash] === desired) {
      results.push({ object, action: "unchanged", live });
      onProgress({ object, action: "unchanged" });
      continue;
    }
    const applied = await cluster.apply(object as ClusterObject);
    // An object sluice did not label yet (made by hand, say) is taken over: "configured".
    const managers = (applied.metadata.managedFields as unknown[] | undefined)?.length ?? 0;
    const action: ApplyAction = live || managers > 1 ? "configured" : "created";
    results.push({ object, action, live: applied });
    onProgress({ object, action });
  }
  return results;
}

/** A kind that may hold objects of a deployment, for pruning and `--delete`. */
export interface KindRef {
  apiVersion: string;
  kind: string;
}

/**
 * Deletes the objects of `kinds` in `namespace` that match `selector` and are not in `keep`:
 * what a graph deployed before and no longer renders (a removed step's function). With an
 * empty `keep` it removes everything the selector names (`--delete`). Dependents (a
 * Deployment's ReplicaSets and pods, a Job's pods) go with them, in the background.
 */
export async function deleteSelected(
  cluster: Cluster,
  options: { namespace: string; selector: string; kinds: readonly KindRef[]; keep?: readonly KubeObject[] },
  onProgress: ProgressListener = () => {},
): Promise<ClusterObject[]> {
  const kept = new Set((options.keep ?? []).map((o) => `${o.apiVersion}/${o.kind}/${o.metadata.name}`));
  const deleted: ClusterObject[] = [];
  // Reverse apply order: the gateway goes before the functions it calls.
  for (const { apiVersion, kind } of [...options.kinds].reverse()) {
    // A kind the cluster does not serve holds nothing: a gateway-only deploy needs no Nuclio.
    if (!(await cluster.serves(apiVersion, kind))) continue;
    const { items } = await cluster.list(apiVersion, kind, {
      namespace: options.namespace,
      labelSelector: options.selector,
    });
    for (const item of items) {
      if (kept.has(`${apiVersion}/${kind}/${item.metadata.name}`)) continue;
      if (await cluster.delete(refOf(item), "Background")) {
        deleted.push(item);
        onProgress({ object: item as KubeObject, action: options.keep ? "pruned" : "deleted" });
      }
    }
  }
  return deleted;
}
