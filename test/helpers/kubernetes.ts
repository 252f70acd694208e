import { inject, onTestFinished } from "vitest";
import { Cluster, type ClusterObject, waitForObject } from "../../src/runtimes/cluster/index.js";
import { uniqueName } from "./brokers.js";

/** The test bed's API server as its cluster admin. */
export function adminCluster(): Cluster {
  return Cluster.connect({ kubeconfig: inject("kubeAdminConfig") });
}

/** The test bed's API server as the restricted control-plane service account. */
export function restrictedCluster(): Cluster {
  return Cluster.connect({ kubeconfig: inject("kubeRestrictedConfig") });
}

/**
 * A namespace of the test's own, deleted when the test finishes. Resolves once its `default`
 * service account exists: before that the API server refuses pods in it.
 */
export async function freshNamespace(prefix = "t"): Promise<string> {
  const admin = adminCluster();
  const name = uniqueName(prefix);
  await admin.create({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
  onTestFinished(async () => {
    await admin.delete({ apiVersion: "v1", kind: "Namespace", name });
  });
  const { timedOut } = await waitForObject(
    admin,
    { apiVersion: "v1", kind: "ServiceAccount", name: "default", namespace: name },
    () => true,
    { timeoutMs: 20_000 },
  );
  if (timedOut) throw new Error(`namespace ${name} got no default service account in 20 s`);
  return name;
}

/** A status condition of `type` is True. */
export function hasCondition(object: ClusterObject | undefined, type: string): boolean {
  const conditions = (object?.status as { conditions?: { type: string; status: string }[] } | undefined)
    ?.conditions;
  return conditions?.some((c) => c.type === type && c.status === "True") ?? false;
}
