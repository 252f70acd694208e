import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, inject, it } from "vitest";
import { stringify } from "yaml";
import { Cluster, type ClusterObject } from "../../src/runtimes/cluster/index.js";
import { sluiceWithEnv } from "../helpers/cli.js";
import {
  adminCluster,
  freshNamespace,
  playingNuclio,
  restrictedCluster,
  serviceAccountKubeconfig,
  tenStepGraphCopy,
  unboundKubeconfig,
} from "../helpers/kubernetes.js";
import { kustomization, kustomize, theOne } from "../helpers/kustomize.js";
import {
  attributesOf,
  auditedRequests,
  mayI,
  myPermissions,
  neededBy,
  type Permission,
  permission,
} from "../helpers/rbac.js";
import { fn } from "../runtimes/render/batch/fixtures.js";

const train = fileURLToPath(new URL("../fixtures/cluster/train.yaml", import.meta.url));
const image = "registry.example/sluice:rbac";

/** `sluice` as the bed's restricted control-plane account, with a store of its own. */
function asControlPlane(...args: string[]) {
  const home = mkdtempSync(join(tmpdir(), "sluice-rbac-"));
  return sluiceWithEnv(
    { KUBECONFIG: inject("kubeRestrictedConfig"), SLUICE_HOME: home, SLUICE_STORE: join(home, "f.db") },
    ...args,
  );
}

/** A batch function document of `kind`, written to a file `sluice run` reads. */
function batchFile(document: object): string {
  const file = join(mkdtempSync(join(tmpdir(), "sluice-rbac-fn-")), "function.yaml");
  writeFileSync(file, stringify(document));
  return file;
}

/** Permissions every authenticated identity holds (self reviews, discovery): not the role's. */
async function everyonesPermissions(namespace: string): Promise<Set<Permission>> {
  return myPermissions(Cluster.connect({ kubeconfig: await unboundKubeconfig(namespace) }), namespace);
}

const sorted = (set: Iterable<Permission>) => [...set].sort();

describe("the control plane's ClusterRole (deploy/rbac) against what sluice's code calls", () => {
  it("allows every request deploy, --wait, a pruning redeploy, --gateway-only, --delete and run make, and grants nothing else", async () => {
    const namespace = await freshNamespace("rbac");
    const graph = tenStepGraphCopy();
    const deploy = (...flags: string[]) =>
      asControlPlane("deploy", graph, "--namespace", namespace, "--image", image, ...flags);
    await playingNuclio(
      namespace,
      () => ({ state: "ready" }),
      async () => {
        expect((await deploy("--wait", "--timeout", "60s")).code).toBe(0);
      },
    );
    // A step removed: its function and ConfigMap are pruned.
    writeFileSync(graph, readFileSync(graph, "utf8").replace(/ {4}notify:\n(?: {6}.*\n)+/, ""));
    expect((await deploy()).code).toBe(0);
    expect((await deploy("--gateway-only")).code).toBe(0);
    expect((await deploy("--delete")).code).toBe(0);

    const run = (file: string, ...flags: string[]) =>
      asControlPlane("run", file, "--namespace", namespace, ...flags);
    // A Job followed to its end with its pods' logs (kwok serves none: asked once, refused by the node).
    expect((await run(train, "--watch")).code).toBe(0);
    // The operators' kinds: created and followed; no operator runs here, so the wait runs out.
    const operatorRuns = [
      fn("dask", "dask-rbac", { image: "daskdev/dask:2024.8.0", command: "python", replicas: 1 }),
      fn("mpijob", "mpi-rbac", { image: "horovod/horovod:0.28.1", command: "python", replicas: 1 }),
      fn("spark", "spark-rbac", {
        image: "apache/spark:3.5.1",
        job_type: "Scala",
        spark_version: "3.5.1",
        main_class: "org.example.Main",
        command: "local:///opt/app.jar",
      }),
    ];
    for (const document of operatorRuns) {
      const result = await run(batchFile(document), "--wait", "--timeout", "2s");
      expect(result.stderr).not.toMatch(/forbidden/);
      expect(result.stderr).toMatch(/after 2 s/);
    }

    const requests = auditedRequests(namespace);
    const denied = requests.filter((r) => r.annotations?.["authorization.k8s.io/decision"] !== "allow");
    expect(denied).toEqual([]);
    const needed = neededBy(requests);

    // Granted cluster-wide, not only where they were used.
    const elsewhere = await freshNamespace("rbac");
    const restricted = restrictedCluster();
    for (const p of needed) {
      expect(await mayI(restricted, { ...attributesOf(p), namespace: elsewhere }), p).toBe(true);
    }
    // And nothing beyond: the role holds exactly what the code used.
    const everyone = await everyonesPermissions(namespace);
    const held = [...(await myPermissions(restricted, namespace))].filter((p) => !everyone.has(p));
    expect(sorted(held)).toEqual(sorted(needed));
  }, 180_000);

  it("denies Secrets, RBAC, nodes, exec, namespaces, CRDs, tokens and impersonation, cluster-wide and in a namespace", async () => {
    const namespace = await freshNamespace("rbac");
    const restricted = restrictedCluster();
    const refused: [verb: string, group: string, resource: string][] = [
      ["get", "", "secrets"],
      ["list", "", "secrets"],
      ["watch", "", "secrets"],
      ["get", "", "configmaps"],
      ["create", "", "pods"],
      ["create", "", "pods/exec"],
      ["create", "", "pods/attach"],
      ["create", "", "pods/portforward"],
      ["create", "", "serviceaccounts/token"],
      ["list", "", "nodes"],
      ["create", "", "namespaces"],
      ["delete", "", "namespaces"],
      ["update", "apps", "deployments"],
      ["delete", "batch", "jobs"],
      ["create", "rbac.authorization.k8s.io", "roles"],
      ["create", "rbac.authorization.k8s.io", "rolebindings"],
      ["create", "rbac.authorization.k8s.io", "clusterroles"],
      ["create", "rbac.authorization.k8s.io", "clusterrolebindings"],
      ["bind", "rbac.authorization.k8s.io", "clusterroles"],
      ["escalate", "rbac.authorization.k8s.io", "clusterroles"],
      ["create", "apiextensions.k8s.io", "customresourcedefinitions"],
      ["create", "admissionregistration.k8s.io", "mutatingwebhookconfigurations"],
      ["impersonate", "", "users"],
      ["impersonate", "", "serviceaccounts"],
    ];
    for (const [verb, group, resource] of refused) {
      for (const where of [namespace, undefined]) {
        const allowed = await mayI(restricted, {
          verb,
          group,
          resource,
          ...(where ? { namespace: where } : {}),
        });
        expect(allowed, `${permission(verb, group, resource)} in ${where ?? "all namespaces"}`).toBe(false);
      }
    }
  });

  it("bound by deploy/base's RoleBinding, the role works in the base's namespace and nowhere else", async () => {
    const [home, other] = [await freshNamespace("base"), await freshNamespace("other")];
    const base = await kustomize(kustomization("base", { namespace: home }));
    const admin = adminCluster();
    for (const kind of ["ServiceAccount", "RoleBinding"]) await admin.apply(theOne(base, kind));
    const account = theOne(base, "ServiceAccount").metadata.name;
    const cluster = Cluster.connect({ kubeconfig: await serviceAccountKubeconfig(home, account) });
    const rules = (
      theOne(base, "ClusterRole") as ClusterObject & {
        rules: { verbs: string[]; apiGroups: string[]; resources: string[] }[];
      }
    ).rules;
    for (const rule of rules) {
      for (const verb of rule.verbs)
        for (const group of rule.apiGroups)
          for (const resource of rule.resources) {
            const what = { verb, group, resource };
            expect(await mayI(cluster, { ...what, namespace: home }), `${verb} ${resource} in ${home}`).toBe(
              true,
            );
            expect(
              await mayI(cluster, { ...what, namespace: other }),
              `${verb} ${resource} in ${other}`,
            ).toBe(false);
            expect(await mayI(cluster, what), `${verb} ${resource} cluster-wide`).toBe(false);
          }
    }
  });
});
