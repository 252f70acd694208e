import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { isSluiceError } from "../../../src/errors.js";
import type { AnyFunctionDocument } from "../../../src/runtimes/index.js";
import { renderServingFunction } from "../../../src/runtimes/render/index.js";
import { graphFolder, objectOf, specOf } from "./helpers.js";

const kube = {
  image: "reg/sluice-nuclio:2.0",
  resources: { requests: { cpu: "250m", memory: "256Mi" }, limits: { memory: "1Gi", "nvidia.com/gpu": 1 } },
  env: [
    { name: "MODE", value: "strict" },
    { name: "API_KEY", valueFrom: { secretKeyRef: { name: "shop-secrets", key: "api-key" } } },
  ],
  volumes: [{ name: "models", persistentVolumeClaim: { claimName: "models-pvc" } }],
  volume_mounts: [{ name: "models", mountPath: "/models", readOnly: true }],
  node_selector: { pool: "gpu" },
  tolerations: [{ key: "gpu", operator: "Exists" as const, effect: "NoSchedule" as const }],
  priority_class_name: "high",
  service_account: "shop-runner",
  min_replicas: 2,
  max_replicas: 6,
  target_cpu: 60,
};

const servingDoc = {
  kind: "serving",
  metadata: { name: "shop-server", project: "retail" },
  spec: {
    ...kube,
    graph: {
      kind: "flow",
      steps: {
        first: { kind: "task", handler: "./steps.mjs#a" },
        second: { kind: "task", handler: "./steps.mjs#b", after: ["first"] },
      },
    },
  },
} as unknown as AnyFunctionDocument;

describe("a serving function deploys as its graph, with the function's Kubernetes attributes", () => {
  it("gives every step function the resources, env, volumes, scheduling and replicas of the spec", async () => {
    const file = await graphFolder(
      { "function.yaml": "", "steps.mjs": "export const a = (b) => b;\nexport const b = (x) => x;\n" },
      "function.yaml",
    );
    const objects = renderServingFunction(servingDoc, { namespace: "ml", file });
    expect(objects.filter((o) => o.kind === "NuclioFunction")).toHaveLength(2);
    const fn = objectOf(objects, "NuclioFunction", "shop-server-first");
    expect(fn.metadata.labels?.["nuclio.io/project-name"]).toBe("retail");
    expect(objectOf(objects, "NuclioProject", "retail").kind).toBe("NuclioProject");
    const spec = specOf(fn);
    expect(spec.image).toBe("reg/sluice-nuclio:2.0");
    expect(spec.resources).toEqual(kube.resources);
    expect(spec.env).toEqual([
      { name: "NUCLIO_HANDLER_DIR", value: "/opt/sluice/dist/runtimes/nuclio" },
      { name: "SLUICE_GRAPH", value: "/etc/sluice/graph/function.json" },
      { name: "SLUICE_FUNCTION", value: "first" },
      { name: "MODE", value: "strict" },
      { name: "API_KEY", valueFrom: { secretKeyRef: { name: "shop-secrets", key: "api-key" } } },
    ]);
    expect(spec.volumes[1]).toEqual({
      volume: { name: "models", persistentVolumeClaim: { claimName: "models-pvc" } },
      volumeMount: { name: "models", mountPath: "/models", readOnly: true },
    });
    expect(spec).toMatchObject({
      nodeSelector: { pool: "gpu" },
      tolerations: kube.tolerations,
      priorityClassName: "high",
      serviceAccount: "shop-runner",
      minReplicas: 2,
      maxReplicas: 6,
      targetCPU: 60,
    });
  });

  it("never writes a secret's value: secret env stays a secretKeyRef", async () => {
    const file = await graphFolder(
      { "function.yaml": "", "steps.mjs": "export const a = (b) => b;\nexport const b = (x) => x;\n" },
      "function.yaml",
    );
    const text = JSON.stringify(renderServingFunction(servingDoc, { namespace: "ml", file }));
    expect(text).toContain('"secretKeyRef":{"name":"shop-secrets","key":"api-key"}');
    expect(text).not.toMatch(/"name":"API_KEY","value"/);
  });

  it("refuses a mount of an undeclared volume, naming the field", async () => {
    const file = await graphFolder(
      { "function.yaml": "", "steps.mjs": "export const a = (b) => b;\nexport const b = (x) => x;\n" },
      "function.yaml",
    );
    const doc = structuredClone(servingDoc) as unknown as { spec: { volumes: unknown[] } };
    doc.spec.volumes = [];
    expect(() =>
      renderServingFunction(doc as unknown as AnyFunctionDocument, { namespace: "ml", file }),
    ).toThrow(
      `function "first", field spec.volume_mounts[0]: mounts the volume "models", which spec.volumes does not declare`,
    );
  });
});

describe("function documents deploy says no to", () => {
  for (const kind of ["job", "dask", "mpijob", "spark", "remote-spark"]) {
    it(`a ${kind} function, pointing at sluice run`, () => {
      const doc = {
        kind,
        metadata: { name: "batch" },
        spec: { image: "x" },
      } as unknown as AnyFunctionDocument;
      try {
        renderServingFunction(doc, { namespace: "ml", file: "fn.yaml" });
        throw new Error("rendered a batch function");
      } catch (error) {
        if (!isSluiceError(error)) throw error;
        expect(error.code).toBe("SLUICE_ERR_RENDER_INVALID");
        expect(error.message).toBe(
          `function "batch": a ${kind} function is a batch run, not something deployed`,
        );
        expect(error.hint).toBe("run it with `sluice run fn.yaml`");
      }
    });
  }
});

describe("a nuclio function", () => {
  it("becomes one NuclioFunction running its own handler and image, with its triggers", () => {
    const doc = {
      kind: "nuclio",
      metadata: { name: "echo", project: "tools" },
      spec: {
        image: "reg/echo:1",
        function_handler: "main:handler",
        triggers: { kafka: { kind: "kafka-cluster", maxWorkers: 4, attributes: { topics: ["t"] } } },
        min_replicas: 1,
        max_replicas: 1,
      },
    } as unknown as AnyFunctionDocument;
    const objects = renderServingFunction(doc, { namespace: "ml", file: "fn.yaml" });
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      "NuclioProject/tools",
      "NuclioFunction/echo",
    ]);
    const spec = specOf(objectOf(objects, "NuclioFunction", "echo"));
    expect(spec).toMatchObject({
      runtime: "nodejs",
      handler: "main:handler",
      image: "reg/echo:1",
      minReplicas: 1,
    });
    // The deprecated maxWorkers is dropped; numWorkers is always written.
    expect(spec.triggers.kafka).toEqual({
      kind: "kafka-cluster",
      name: "kafka",
      numWorkers: 1,
      attributes: { topics: ["t"] },
    });
  });
});

describe("an MLRun serving function export", () => {
  it("deploys its imported graph on sluice's image, not the MLRun image it names", async () => {
    const fixtures = new URL("../../fixtures/mlrun/", import.meta.url);
    const file = await graphFolder(
      {
        // Its queue (and the child function behind it) left out: see the next test.
        "function.yaml": (await readFile(new URL("fraud-flow.yaml", fixtures), "utf8")).replace(
          /\n {6}to_stream:[\s\S]*?function: fraud-archiver\n/,
          "\n",
        ),
        "mlrun-mapping.yaml": await readFile(new URL("mapping.yaml", fixtures), "utf8"),
        "steps.mjs": "export const parseRequest = (b) => b;\nexport class Enricher { do(b) { return b; } }\n",
        "models.mjs":
          "export class Fraud { predict() { return []; } }\nexport class FraudV2 { predict() { return []; } }\n",
      },
      "function.yaml",
    );
    const doc = parseYaml(await readFile(file, "utf8")) as AnyFunctionDocument;
    const objects = renderServingFunction(doc, { namespace: "ml", file, image: "reg/sluice-nuclio:3" });
    expect(objects.filter((o) => o.kind === "NuclioFunction").map((o) => o.metadata.name)).toEqual([
      "fraud-scoring-parse",
      "fraud-scoring-enrich",
      // MLRun runs a step with two upstreams once per upstream: the importer made it two steps.
      "fraud-scoring-audit-parse",
      "fraud-scoring-audit-models",
    ]);
    const fn = objectOf(objects, "NuclioFunction", "fraud-scoring-enrich");
    expect(specOf(fn)).toMatchObject({ image: "reg/sluice-nuclio:3", minReplicas: 1, maxReplicas: 4 });
    expect(specOf(fn).env).toContainEqual({ name: "FEATURE_TABLE", value: "users" });
    expect(fn.metadata.labels?.["nuclio.io/project-name"]).toBe("risk");
    expect(JSON.stringify(objects)).not.toContain("mlrun/mlrun");
  });
});

describe("an MLRun serving function export with a Kafka queue", () => {
  it("is refused until the queue names its broker: the importer keeps only the topic", async () => {
    const fixtures = new URL("../../fixtures/mlrun/", import.meta.url);
    const file = await graphFolder(
      {
        "function.yaml": await readFile(new URL("fraud-flow.yaml", fixtures), "utf8"),
        "mlrun-mapping.yaml": await readFile(new URL("mapping.yaml", fixtures), "utf8"),
      },
      "function.yaml",
    );
    const doc = parseYaml(await readFile(file, "utf8")) as AnyFunctionDocument;
    expect(() => renderServingFunction(doc, { namespace: "ml", file, image: "reg/sluice-nuclio:3" })).toThrow(
      `step "to_stream", field stream: "kafka://fraud-scored" names no broker`,
    );
  });
});

describe("a serving function's triggers", () => {
  it("refuses a stream trigger, which would feed every step's function", async () => {
    const file = await graphFolder(
      { "function.yaml": "", "steps.mjs": "export const a = (b) => b;\nexport const b = (x) => x;\n" },
      "function.yaml",
    );
    const doc = structuredClone(servingDoc) as unknown as { spec: { triggers: unknown } };
    doc.spec.triggers = { orders: { kind: "kafka-cluster", attributes: { topics: ["o"] } } };
    expect(() =>
      renderServingFunction(doc as unknown as AnyFunctionDocument, { namespace: "ml", file }),
    ).toThrow(
      `function "shop-server", field spec.triggers.orders: a kafka-cluster trigger of a serving function would feed every step's function`,
    );
  });
});
