import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { parse } from "yaml";
import type { ClusterObject } from "../../src/runtimes/cluster/index.js";
import { repoRoot, sluice, sluiceWithEnv } from "../helpers/cli.js";
import { adminCluster, freshNamespace, restrictedCluster } from "../helpers/kubernetes.js";
import { kubectl, kustomization, kustomize, theOne } from "../helpers/kustomize.js";

const baseGraph = "deploy/base/graph/graph.yaml";
const version = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string })
  .version;

/** `kubectl apply --server-side --dry-run=server -k dir` with the bed's admin: what the server made of each object. */
async function dryRunApply(dir: string): Promise<ClusterObject[]> {
  const applied = await kubectl(
    "apply",
    "--server-side",
    "--dry-run=server",
    "-k",
    dir,
    "-o",
    "json",
    "--kubeconfig",
    inject("kubeAdminConfig"),
  );
  expect(applied.stderr).toBe("");
  expect(applied.code).toBe(0);
  const answer = JSON.parse(applied.stdout) as ClusterObject & { items?: ClusterObject[] };
  return answer.items ?? [answer];
}

/** The objects `sluice deploy --gateway-only --dry-run` prints for a graph. */
async function gatewayOnly(graph: string, namespace: string): Promise<ClusterObject[]> {
  const args = ["--namespace", namespace, "--image", `sluice:${version}`, "-o", "json"];
  const { code, stdout, stderr } = await sluice("deploy", graph, "--gateway-only", "--dry-run", ...args);
  expect(stderr).toBe("");
  expect(code).toBe(0);
  return (JSON.parse(stdout) as { items: ClusterObject[] }).items;
}

const gatewayKinds = ["Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"];

/**
 * What must agree between the base and `--gateway-only`: everything but names, labels and
 * selectors (the base's are kustomize's, the rendered ones sluice's), the graph's ConfigMap
 * reference, and the rendered pods' config-hash annotation (kustomize's name suffix does that job).
 */
function comparable(object: ClusterObject): unknown {
  const text = JSON.stringify(object.spec, (key, value) => {
    if (key === "selector" || key === "matchLabels") return "<selector>";
    if (key === "metadata") return undefined;
    if (key === "configMap") return { name: "<graph>" };
    if (key === "scaleTargetRef") return { ...value, name: "<gateway>" };
    return value;
  });
  return JSON.parse(text);
}

describe("deploy/ as a user applies it, on the real API server", () => {
  const builds: [title: string, path: string, components?: string[]][] = [
    ["the base", "base"],
    ["the dev overlay", "overlays/dev"],
    ["the prod overlay", "overlays/prod"],
    ["the prod overlay with the in-flight HPA", "overlays/prod", ["components/in-flight-hpa"]],
  ];
  for (const [title, path, components] of builds) {
    it(`${title} passes a server-side dry run, moved into a namespace of its own, and stores nothing`, async () => {
      const namespace = await freshNamespace("k");
      const dir = kustomization(path, { namespace, ...(components ? { components } : {}) });
      const objects = await dryRunApply(dir);
      expect(objects.map((o) => o.kind).sort()).toEqual((await kustomize(dir)).map((o) => o.kind).sort());
      // The server defaulted them (it validated them against its schemas), in the test's namespace.
      const deployment = theOne(objects, "Deployment");
      expect(deployment.metadata.namespace).toBe(namespace);
      expect(deployment.spec).toMatchObject({
        strategy: { type: "RollingUpdate" },
        revisionHistoryLimit: 10,
      });
      expect(theOne(objects, "RoleBinding").subjects).toEqual([
        { kind: "ServiceAccount", name: "sluice-control-plane", namespace },
      ]);
      const admin = adminCluster();
      const ref = { apiVersion: "apps/v1", kind: "Deployment", name: "sluice-gateway", namespace };
      expect(await admin.get(ref)).toBeUndefined();
    });
  }

  it("the CRDs pass a server-side dry run as `kubectl apply -k deploy/crds` sends them", async () => {
    const objects = await dryRunApply(kustomization("crds"));
    expect(objects.map((o) => o.metadata.name).sort()).toEqual([
      "daskjobs.kubernetes.dask.org",
      "mpijobs.kubeflow.org",
      "nucliofunctionevents.nuclio.io",
      "nucliofunctions.nuclio.io",
      "nuclioprojects.nuclio.io",
      "sparkapplications.sparkoperator.k8s.io",
    ]);
  });

  it("the overlays change what they say: dev one pod with the admin plane, prod spread pods on the package's tag", async () => {
    const dev = await kustomize(kustomization("overlays/dev"));
    expect(dev.some((o) => o.kind === "HorizontalPodAutoscaler")).toBe(false);
    const devPod = theOne(dev, "Deployment").spec as {
      replicas: number;
      template: { spec: { containers: { args: string[]; env: unknown[]; image: string }[] } };
    };
    expect(devPod.replicas).toBe(1);
    expect(devPod.template.spec.containers[0]?.args.slice(-2)).toEqual(["--admin-host", "0.0.0.0"]);
    expect(devPod.template.spec.containers[0]?.env).toEqual([
      { name: "SLUICE_ADMIN_TOKEN", valueFrom: { secretKeyRef: { name: "sluice-admin", key: "token" } } },
    ]);
    // What the pod refers to is in the build: the generated Secret and the graph's ConfigMap.
    expect(theOne(dev, "Secret").metadata.name).toBe("sluice-admin");
    const volumes = (devPod.template.spec as unknown as { volumes: { configMap?: { name: string } }[] })
      .volumes;
    expect(volumes.flatMap((v) => (v.configMap ? [v.configMap.name] : []))).toEqual([
      theOne(dev, "ConfigMap").metadata.name,
    ]);
    expect(devPod.template.spec.containers[0]?.image).toBe(`sluice:${version}`);

    const prod = await kustomize(kustomization("overlays/prod"));
    expect(prod.some((o) => o.kind === "Secret")).toBe(false);
    expect(theOne(prod, "HorizontalPodAutoscaler").spec).toMatchObject({ minReplicas: 3, maxReplicas: 12 });
    const prodPod = theOne(prod, "Deployment").spec as {
      template: { spec: { affinity: unknown; containers: { image: string }[] } };
    };
    expect(prodPod.template.spec.affinity).toMatchObject({
      podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100 }] },
    });
    expect(prodPod.template.spec.containers[0]?.image).toBe(
      `registry.example.com/platform/sluice:${version}`,
    );

    const inFlight = await kustomize(
      kustomization("overlays/prod", { components: ["components/in-flight-hpa"] }),
    );
    const metrics = (theOne(inFlight, "HorizontalPodAutoscaler").spec as { metrics: { type: string }[] })
      .metrics;
    expect(metrics.map((m) => m.type)).toEqual(["Resource", "Pods"]);
  });
});

describe("sluice deploy --gateway-only and deploy/base", () => {
  it("render the same gateway for the base's graph: pod, Service, HPA and PDB alike but for names and labels", async () => {
    const base = await kustomize(kustomization("base"));
    const rendered = await gatewayOnly(baseGraph, "sluice");
    for (const kind of gatewayKinds) {
      expect(comparable(theOne(rendered, kind)), kind).toEqual(comparable(theOne(base, kind)));
    }
    // The same graph document is served, and the same image runs.
    const served = (objects: ClusterObject[]) =>
      parse((theOne(objects, "ConfigMap").data as Record<string, string>)["graph.yaml"] ?? "");
    expect(served(rendered)).toEqual(served(base));
    const image = (objects: ClusterObject[]) =>
      (theOne(objects, "Deployment").spec as { template: { spec: { containers: { image: string }[] } } })
        .template.spec.containers[0]?.image;
    expect(image(rendered)).toBe(image(base));
  });

  it("its objects pass a server-side dry run as the control plane's restricted identity", async () => {
    const namespace = await freshNamespace();
    const restricted = restrictedCluster();
    for (const object of await gatewayOnly(baseGraph, namespace)) {
      const answer = await restricted.apply(object, { dryRun: true });
      expect(answer.metadata.namespace).toBe(namespace);
    }
    const { items } = await adminCluster().list("apps/v1", "Deployment", { namespace });
    expect(items).toEqual([]);
  });

  it("serves the base's graph from one command, with pods the restricted Pod Security profile admits", async () => {
    const namespace = await freshNamespace();
    const admin = adminCluster();
    await admin.mergePatch(
      { apiVersion: "v1", kind: "Namespace", name: namespace },
      { metadata: { labels: { "pod-security.kubernetes.io/enforce": "restricted" } } },
    );
    // The profile is enforced: a pod that asks for nothing is refused.
    const bare = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "bare", namespace },
      spec: { containers: [{ name: "c", image: "busybox:1.36" }] },
    };
    await expect(admin.apply(bare, { dryRun: true })).rejects.toThrow(/violates PodSecurity "restricted/);

    const result = await sluiceWithEnv(
      { KUBECONFIG: inject("kubeRestrictedConfig") },
      "deploy",
      baseGraph,
      "--gateway-only",
      "--namespace",
      namespace,
      "--image",
      `sluice:${version}`,
      "--wait",
      "--timeout",
      "60s",
    );
    expect(result.stderr).toMatch(/Deployment .*\/hello-gateway ready/);
    expect(result.code).toBe(0);
    const { items } = await admin.list("v1", "Pod", {
      namespace,
      labelSelector: "sluice.io/graph=hello,sluice.io/function=gateway",
    });
    expect(items.map((p) => (p.status as { phase: string }).phase)).toEqual(["Running"]);
  });
});
