import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, inject, it } from "vitest";
import { parse } from "yaml";
import { type ClusterObject, deleteSelected } from "../../src/runtimes/cluster/index.js";
import { sluiceWithEnv } from "../helpers/cli.js";
import {
  adminCluster,
  freshNamespace,
  playingNuclio,
  tenStepGraphCopy,
  unboundKubeconfig,
} from "../helpers/kubernetes.js";

const image = "registry.example/sluice-nuclio:test";

function sluice(kubeconfig: string, ...args: string[]) {
  return sluiceWithEnv({ KUBECONFIG: kubeconfig }, ...args);
}

const kinds = [
  { apiVersion: "nuclio.io/v1beta1", kind: "NuclioFunction" },
  { apiVersion: "v1", kind: "ConfigMap" },
  { apiVersion: "apps/v1", kind: "Deployment" },
  { apiVersion: "v1", kind: "Service" },
  { apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler" },
  { apiVersion: "policy/v1", kind: "PodDisruptionBudget" },
];

/** Every object the graph owns in the namespace: `Kind/name` → resourceVersion. */
async function owned(namespace: string, graph = "ten-steps"): Promise<Map<string, ClusterObject>> {
  const admin = adminCluster();
  const found = new Map<string, ClusterObject>();
  for (const { apiVersion, kind } of kinds) {
    const { items } = await admin.list(apiVersion, kind, {
      namespace,
      labelSelector: `sluice.io/graph=${graph}`,
    });
    for (const item of items) found.set(`${kind}/${item.metadata.name}`, item);
  }
  return found;
}

function versions(objects: Map<string, ClusterObject>): Record<string, string | undefined> {
  return Object.fromEntries([...objects].map(([key, o]) => [key, o.metadata.resourceVersion]));
}

function deployAndWait(namespace: string) {
  const args = [
    "deploy",
    tenStepGraphCopy(),
    "--namespace",
    namespace,
    "--image",
    image,
    "--wait",
    "--timeout",
    "60s",
  ];
  return sluice(inject("kubeAdminConfig"), ...args);
}

describe("sluice deploy against a real API server", () => {
  it("deploys a 10-step graph with a Kafka queue as Nuclio functions and a gateway", async () => {
    const namespace = await freshNamespace();
    const admin = inject("kubeAdminConfig");
    const result = await sluice(
      admin,
      "deploy",
      tenStepGraphCopy(),
      "--namespace",
      namespace,
      "--image",
      image,
    );
    expect(result.code).toBe(0);

    const objects = await owned(namespace);
    const functions = [...objects.values()].filter((o) => o.kind === "NuclioFunction");
    const names = functions.map((f) => f.metadata.name).sort();
    expect(names).toEqual(
      // The router stays in the gateway (it reads the caller's path and headers).
      ["enrichers", "notify", "parse", "score", "store", "validate"].map((n) => `ten-steps-${n}`).sort(),
    );
    for (const fn of functions) {
      const spec = fn.spec as {
        runtime: string;
        handler: string;
        image: string;
        env: { name: string; value?: string }[];
      };
      expect(spec).toMatchObject({ runtime: "nodejs", handler: "entry.cjs:handler", image });
      expect(spec.env).toContainEqual({
        name: "SLUICE_FUNCTION",
        value: fn.metadata.name.replace("ten-steps-", ""),
      });
      expect(fn.metadata.labels).toMatchObject({
        "sluice.io/graph": "ten-steps",
        "sluice.io/function": fn.metadata.name.replace("ten-steps-", ""),
        "nuclio.io/project-name": expect.any(String),
      });
      expect(fn.metadata.labels?.["sluice.io/hash"]).toMatch(/^[0-9a-f]{40}$/);
    }
    // The steps behind the queue are fed by a kafka-cluster trigger on the queue's topic.
    const store = functions.find((f) => f.metadata.name === "ten-steps-store");
    const triggers = Object.values(
      (
        store?.spec as
          | { triggers: Record<string, { kind: string; attributes?: Record<string, unknown> }> }
          | undefined
      )?.triggers ?? {},
    );
    expect(triggers.find((t) => t.kind === "kafka-cluster")?.attributes).toMatchObject({
      brokers: ["kafka.kafka.svc:9092"],
      topics: ["ten-steps-scored"],
    });
    // The gateway: a Deployment probing the OIP health endpoints, its Service and HPA, and its
    // copy of the graph placing each deployed step at its function's in-cluster URL.
    const gateway = [...objects.values()].find((o) => o.kind === "Deployment");
    const container = (
      gateway?.spec as { template: { spec: { containers: Record<string, unknown>[] } } } | undefined
    )?.template.spec.containers[0];
    expect(container?.readinessProbe).toMatchObject({ httpGet: { path: "/v2/health/ready" } });
    expect(container?.livenessProbe).toMatchObject({ httpGet: { path: "/v2/health/live" } });
    expect(
      [...objects.keys()].filter((k) => k.startsWith("Service/") || k.startsWith("HorizontalPodAutoscaler/")),
    ).toHaveLength(2);
    const gatewayConfig = [...objects.values()].find(
      (o) => o.kind === "ConfigMap" && o.metadata.labels?.["sluice.io/function"] === "gateway",
    );
    const gatewayGraph = parse(Object.values(gatewayConfig?.data as Record<string, string>)[0] ?? "") as {
      spec: { steps: Record<string, { placement?: string; nuclio?: { url: string } }> };
    };
    expect(gatewayGraph.spec.steps.parse).toMatchObject({
      placement: "nuclio",
      nuclio: { url: "http://nuclio-ten-steps-parse:8080/" },
    });
    expect(gatewayGraph.spec.steps.geo?.nuclio?.url).toBe("http://nuclio-ten-steps-enrichers:8080/");
  });

  it("redeploys an unchanged graph without a single write", async () => {
    const namespace = await freshNamespace();
    const admin = inject("kubeAdminConfig");
    const graph = tenStepGraphCopy();
    expect((await sluice(admin, "deploy", graph, "--namespace", namespace, "--image", image)).code).toBe(0);
    const before = versions(await owned(namespace));
    const again = await sluice(admin, "deploy", graph, "--namespace", namespace, "--image", image);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toMatch(/ (created|configured)/);
    expect(again.stderr.match(/ unchanged/g)?.length).toBeGreaterThanOrEqual(Object.keys(before).length);
    expect(versions(await owned(namespace))).toEqual(before);
  });

  it("rolls only the changed step's function, and prunes a removed step's", async () => {
    const namespace = await freshNamespace();
    const admin = inject("kubeAdminConfig");
    const graph = tenStepGraphCopy();
    expect((await sluice(admin, "deploy", graph, "--namespace", namespace, "--image", image)).code).toBe(0);
    const before = versions(await owned(namespace));

    // A new argument for one step: only its function (and what carries its settings) changes.
    writeFileSync(
      graph,
      readFileSync(graph, "utf8").replace(
        "tiers: { u1: gold, u2: basic }",
        "tiers: { u1: gold, u2: silver }",
      ),
    );
    expect((await sluice(admin, "deploy", graph, "--namespace", namespace, "--image", image)).code).toBe(0);
    const after = versions(await owned(namespace));
    const changed = Object.keys(before).filter((k) => before[k] !== after[k]);
    expect(changed).toContain("NuclioFunction/ten-steps-enrichers");
    expect(changed.filter((k) => k.startsWith("NuclioFunction/"))).toEqual([
      "NuclioFunction/ten-steps-enrichers",
    ]);

    // `notify` removed: its function goes, nothing else of the functions moves.
    const text = readFileSync(graph, "utf8");
    writeFileSync(graph, text.replace(/ {4}notify:\n(?: {6}.*\n)+/, ""));
    const pruned = await sluice(admin, "deploy", graph, "--namespace", namespace, "--image", image);
    expect(pruned.code).toBe(0);
    expect(pruned.stderr).toMatch(/NuclioFunction .*ten-steps-notify pruned/);
    const left = await owned(namespace);
    expect(left.has("NuclioFunction/ten-steps-notify")).toBe(false);
    expect([...left.keys()].filter((k) => k.startsWith("NuclioFunction/"))).toHaveLength(5);
  });

  it("--delete removes exactly what the graph deployed", async () => {
    const namespace = await freshNamespace();
    const admin = inject("kubeAdminConfig");
    const graph = tenStepGraphCopy();
    expect((await sluice(admin, "deploy", graph, "--namespace", namespace, "--image", image)).code).toBe(0);
    // Something else in the namespace that the graph did not deploy stays.
    await adminCluster().apply({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "not-ours", namespace },
      data: { a: "b" },
    });
    const removed = await sluice(admin, "deploy", graph, "--namespace", namespace, "--delete");
    expect(removed.code).toBe(0);
    expect((await owned(namespace)).size).toBe(0);
    expect(
      await adminCluster().get({ apiVersion: "v1", kind: "ConfigMap", name: "not-ours", namespace }),
    ).toBeDefined();
  });

  it("prunes nothing of a kind the cluster does not serve, so a cluster without Nuclio takes --gateway-only", async () => {
    const namespace = await freshNamespace();
    const pruned = await deleteSelected(adminCluster(), {
      namespace,
      selector: "sluice.io/graph=ten-steps",
      kinds: [{ apiVersion: "nothing.example.com/v1", kind: "Nothing" }, ...kinds],
      keep: [],
    });
    expect(pruned).toEqual([]);
  });

  it("--wait names the function Nuclio reports in error, with its message, and exits 3", async () => {
    const namespace = await freshNamespace();
    await playingNuclio(
      namespace,
      (name) =>
        name === "ten-steps-score"
          ? { state: "error", message: "image pull failed: registry.example not reachable" }
          : { state: "ready" },
      async () => {
        const result = await deployAndWait(namespace);
        expect(result.code).toBe(3);
        expect(result.stderr).toMatch(
          /sluice: NuclioFunction .*ten-steps-score is not ready: state error: image pull failed: registry.example not reachable/,
        );
      },
    );
  });

  it("--wait succeeds once every function is ready and the gateway is available", async () => {
    const namespace = await freshNamespace();
    await playingNuclio(
      namespace,
      () => ({ state: "ready" }),
      async () => {
        const result = await deployAndWait(namespace);
        expect(result.stderr).toMatch(/Deployment .* ready/);
        expect(result.code).toBe(0);
      },
    );
  });

  it("deploys and deletes with the restricted control-plane role; without it, one line says what was denied", async () => {
    const namespace = await freshNamespace();
    const graph = tenStepGraphCopy();
    const restricted = inject("kubeRestrictedConfig");
    expect((await sluice(restricted, "deploy", graph, "--namespace", namespace, "--image", image)).code).toBe(
      0,
    );
    expect((await sluice(restricted, "deploy", graph, "--namespace", namespace, "--delete")).code).toBe(0);
    expect((await owned(namespace)).size).toBe(0);

    const denied = await sluice(
      await unboundKubeconfig(namespace),
      "deploy",
      graph,
      "--namespace",
      namespace,
      "--image",
      image,
    );
    expect(denied.code).toBe(3);
    const first = denied.stderr.split("\n")[0] ?? "";
    expect(first).toMatch(
      /^sluice: cannot list NuclioProject in namespace t-[0-9a-f]+: nuclioprojects.nuclio.io is forbidden: User "system:serviceaccount:t-[0-9a-f]+:nobody-[0-9a-f]+" cannot list resource "nuclioprojects" in API group "nuclio.io" in the namespace "t-[0-9a-f]+"$/,
    );
  });
});
