import { cpSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { inject, onTestFinished } from "vitest";
import { parse } from "yaml";
import {
  Cluster,
  type ClusterObject,
  waitForObject,
  watchObjects,
} from "../../src/runtimes/cluster/index.js";
import { send } from "../../src/runtimes/cluster/transport.js";
import { writeKubeconfig } from "../infra/k8s/kubeconfig.js";
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

/** A copy of the ten-step graph's folder (test/fixtures/deploy/ten-steps) a test may edit; its graph file. */
export function tenStepGraphCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "sluice-deploy-"));
  cpSync(fileURLToPath(new URL("../fixtures/deploy/ten-steps/", import.meta.url)), dir, { recursive: true });
  return join(dir, "graph.yaml");
}

/** A status condition of `type` is True. */
export function hasCondition(object: ClusterObject | undefined, type: string): boolean {
  const conditions = (object?.status as { conditions?: { type: string; status: string }[] } | undefined)
    ?.conditions;
  return conditions?.some((c) => c.type === type && c.status === "True") ?? false;
}

/**
 * A kubeconfig for a new service account of `namespace` that no role is bound to: what a
 * user whose cluster admin forgot deploy/rbac has. Written beside the admin kubeconfig.
 */
export async function unboundKubeconfig(namespace: string): Promise<string> {
  const name = uniqueName("nobody");
  await adminCluster().create({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace } });
  return serviceAccountKubeconfig(namespace, name);
}

/** A kubeconfig holding a fresh token of an existing service account, written beside the admin's. */
export async function serviceAccountKubeconfig(namespace: string, name: string): Promise<string> {
  const admin = adminCluster();
  const answer = await send(
    admin.config,
    "POST",
    `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    {
      body: {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: { expirationSeconds: 3600 },
      },
    },
  );
  const token = (answer.body as { status: { token: string } }).status.token;
  const adminFile = inject("kubeAdminConfig");
  const ca = (
    parse(readFileSync(adminFile, "utf8")) as { clusters: { cluster: { "certificate-authority": string } }[] }
  ).clusters[0]?.cluster["certificate-authority"] as string;
  return writeKubeconfig(
    `${adminFile}.${namespace}.${name}`,
    admin.server,
    ca,
    `system:serviceaccount:${namespace}:${name}`,
    token,
  );
}

/**
 * Plays Nuclio's controller while `work` runs: each NuclioFunction created in `namespace` gets
 * the `status` that `statusOf` gives it, as the real controller writes it after a build.
 */
export async function playingNuclio(
  namespace: string,
  statusOf: (name: string) => { state: string; message?: string },
  work: () => Promise<void>,
): Promise<void> {
  const admin = adminCluster();
  const controller = watchObjects(
    admin,
    { apiVersion: "nuclio.io/v1beta1", kind: "NuclioFunction", namespace },
    (type, fn) => {
      if (type !== "ADDED") return;
      const ref = { apiVersion: fn.apiVersion, kind: fn.kind, name: fn.metadata.name, namespace };
      void admin.mergePatch(ref, { status: statusOf(fn.metadata.name) });
    },
  );
  try {
    await work();
  } finally {
    controller.stop();
    await controller.closed;
  }
}
