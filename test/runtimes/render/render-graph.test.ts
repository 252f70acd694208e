import { describe, expect, it } from "vitest";
import { nuclioUrl } from "../../../src/graph/index.js";
import { labels, objectHash, renderGraph } from "../../../src/runtimes/render/index.js";
import { flow, graphFolder, objectOf, specOf } from "./helpers.js";

const options = { namespace: "ml", image: "reg/sluice-nuclio:1.0" };

describe("sluice deploy renders one NuclioFunction per function group", () => {
  it("gives every step its own function, named <graph>-<step>, by default", async () => {
    const file = await graphFolder(
      flow(
        `    first: {handler: ./steps.mjs#a}\n    Second_Step: {handler: ./steps.mjs#b, after: [first]}\n`,
      ),
    );
    const objects = await renderGraph(file, options);
    const functions = objects.filter((o) => o.kind === "NuclioFunction").map((o) => o.metadata.name);
    expect(functions).toEqual(["shop-first", "shop-second-step"]);
    // The gateway calls the URL the graph layer derives for the same function.
    const gatewayGraph = objectOf(objects, "ConfigMap", "shop-gateway").data as Record<string, string>;
    expect(gatewayGraph["graph.yaml"]).toContain(nuclioUrl("shop", "Second_Step"));
    expect(nuclioUrl("shop", "Second_Step")).toBe("http://nuclio-shop-second-step:8080/");
  });

  it("puts the steps that name the same function into one function, whose entry runs that group", async () => {
    const file = await graphFolder(
      flow(
        `    first: {handler: ./steps.mjs#a, function: core}\n    second: {handler: ./steps.mjs#b, after: [first], function: core}\n    third: {handler: ./steps.mjs#c, after: [second]}\n`,
      ),
    );
    const objects = await renderGraph(file, options);
    expect(objects.filter((o) => o.kind === "NuclioFunction").map((o) => o.metadata.name)).toEqual([
      "shop-core",
      "shop-third",
    ]);
    const env = specOf(objectOf(objects, "NuclioFunction", "shop-core")).env;
    expect(env).toContainEqual({ name: "SLUICE_FUNCTION", value: "core" });
    expect(env).toContainEqual({ name: "SLUICE_GRAPH", value: "/etc/sluice/graph/graph.json" });
  });

  it("deploys task steps only: routers, models, remote, error and local steps stay in the gateway", async () => {
    const file = await graphFolder(
      flow(
        `    first: {handler: ./steps.mjs#a}
    pick:
      kind: router
      type: switch
      after: [first]
      routes:
        big: {handler: ./steps.mjs#a, when: "body.n > 10"}
        small: {handler: ./steps.mjs#b}
      default: small
    lookup: {kind: remote, url: "http://lookup.svc:8080/", after: [pick]}
    local_one: {handler: ./steps.mjs#c, after: [lookup], placement: local}
    oops: {kind: error, handler: ./steps.mjs#recover}
`,
        "  on_error: oops\n",
      ),
    );
    const objects = await renderGraph(file, options);
    expect(objects.filter((o) => o.kind === "NuclioFunction").map((o) => o.metadata.name)).toEqual([
      "shop-first",
    ]);
    // The gateway runs the others itself, so it is shipped their code.
    const gateway = objectOf(objects, "ConfigMap", "shop-gateway").data as Record<string, string>;
    expect(Object.keys(gateway)).toEqual(["graph.yaml", "steps.mjs"]);
    const copy = gateway["graph.yaml"] ?? "";
    expect(copy).toContain("handler: ./steps.mjs#recover");
    expect(copy).toContain("kind: router");
    expect(copy).toContain("url: http://nuclio-shop-first:8080/");
  });

  it("deploys nothing for a graph that is one router: the gateway serves it", async () => {
    const file = await graphFolder({
      "graph.yaml":
        "apiVersion: sluice/v1\nkind: Graph\nmetadata: {name: shop}\nspec:\n  topology: router\n  router:\n    type: model\n    routes:\n      m: {kind: model, class: ./steps.mjs#M}\n",
      "steps.mjs": "export class M { predict() { return []; } }\n",
    });
    const kinds = (await renderGraph(file, options)).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds).toEqual([
      "NuclioProject/shop",
      "ConfigMap/shop-gateway",
      "Deployment/shop-gateway",
      "Service/shop-gateway",
      "HorizontalPodAutoscaler/shop-gateway",
      "PodDisruptionBudget/shop-gateway",
    ]);
  });

  it("writes the objects in apply order: project, ConfigMaps, functions, then the gateway", async () => {
    const file = await graphFolder(
      flow(`    first: {handler: ./steps.mjs#a}\n    second: {handler: ./steps.mjs#b, after: [first]}\n`),
    );
    const kinds = (await renderGraph(file, options)).map((o) => o.kind);
    expect(kinds).toEqual([
      "NuclioProject",
      "ConfigMap",
      "ConfigMap",
      "NuclioFunction",
      "NuclioFunction",
      "ConfigMap",
      "Deployment",
      "Service",
      "HorizontalPodAutoscaler",
      "PodDisruptionBudget",
    ]);
  });

  it("labels every object with its graph, function, manager and content hash", async () => {
    const file = await graphFolder({
      ...flow(`    first: {handler: ./steps.mjs#a}\n`),
      "graph.yaml": `apiVersion: sluice/v1\nkind: Graph\nmetadata: {name: shop, labels: {team: risk}}\nspec:\n  steps:\n    first: {handler: ./steps.mjs#a}\n`,
    });
    for (const object of await renderGraph(file, options)) {
      const l = object.metadata.labels ?? {};
      expect(l[labels.graph]).toBe("shop");
      expect(l[labels.function]).toMatch(/^(project|first|gateway)$/);
      expect(l[labels.managedBy]).toBe("sluice");
      expect(l.team).toBe("risk");
      expect(l[labels.hash]).toBe(objectHash(object));
      expect(object.metadata.namespace).toBe("ml");
    }
  });
});

describe("a step function's NuclioFunction", () => {
  it("runs sluice's entry on Node with the runtime image, in the graph's Nuclio project", async () => {
    const file = await graphFolder(flow(`    first: {handler: ./steps.mjs#a}\n`));
    const objects = await renderGraph(file, { ...options, project: "payments" });
    const fn = objectOf(objects, "NuclioFunction", "shop-first");
    expect(fn.apiVersion).toBe("nuclio.io/v1beta1");
    expect(fn.metadata.labels?.["nuclio.io/project-name"]).toBe("payments");
    expect(objectOf(objects, "NuclioProject", "payments").apiVersion).toBe("nuclio.io/v1beta1");
    const spec = specOf(fn);
    expect(spec.runtime).toBe("nodejs");
    expect(spec.handler).toBe("entry.cjs:handler");
    expect(spec.image).toBe("reg/sluice-nuclio:1.0");
    // Nuclio's controller deploys a function only in this state.
    expect(fn.status).toEqual({ state: "waitingForResourceConfiguration" });
  });

  it("mounts the graph and the modules it imports, folders rebuilt from flat ConfigMap keys", async () => {
    const file = await graphFolder({
      "graph.yaml":
        "apiVersion: sluice/v1\nkind: Graph\nmetadata: {name: shop}\nspec:\n  steps:\n    first: {handler: ./lib/steps.mjs#a}\n",
      "lib/steps.mjs": `import { helper } from "./util/helper.mjs";\nexport function a(b) { return helper(b); }\n`,
      "lib/util/helper.mjs": "export const helper = (b) => b;\n",
      "unrelated.mjs": "export const x = 1;\n",
    });
    const objects = await renderGraph(file, options);
    const configMap = objectOf(objects, "ConfigMap", "shop-first-code");
    expect(Object.keys(configMap.data as object)).toEqual([
      "graph.json",
      "lib__steps.mjs",
      "lib__util__helper.mjs",
    ]);
    const [graphVolume] = specOf(objectOf(objects, "NuclioFunction", "shop-first")).volumes;
    expect(graphVolume).toEqual({
      volume: {
        name: "sluice-graph",
        configMap: {
          name: "shop-first-code",
          items: [
            { key: "graph.json", path: "graph.json" },
            { key: "lib__steps.mjs", path: "lib/steps.mjs" },
            { key: "lib__util__helper.mjs", path: "lib/util/helper.mjs" },
          ],
        },
      },
      volumeMount: { name: "sluice-graph", mountPath: "/etc/sluice/graph", readOnly: true },
    });
  });

  it("runs its own steps in place even when the document placed them in Nuclio for serve", async () => {
    const file = await graphFolder(
      flow(
        `    first: {handler: ./steps.mjs#a, placement: nuclio, nuclio: {retries: 2}}\n    second: {handler: ./steps.mjs#b, after: [first]}\n`,
      ),
    );
    const objects = await renderGraph(file, options);
    const own = JSON.parse(
      (objectOf(objects, "ConfigMap", "shop-first-code").data as Record<string, string>)["graph.json"] ?? "",
    );
    expect(own.spec.steps.first).toEqual({ handler: "./steps.mjs#a" });
    // Elsewhere it is a call to its function, with the document's call settings kept.
    const other = JSON.parse(
      (objectOf(objects, "ConfigMap", "shop-second-code").data as Record<string, string>)["graph.json"] ?? "",
    );
    expect(other.spec.steps.first).toEqual({
      kind: "task",
      placement: "nuclio",
      nuclio: { retries: 2, url: "http://nuclio-shop-first:8080/" },
    });
  });

  it("sets eventTimeout a second past the entry's deadline (60s, or the group's longer step timeout), and workers from maxConcurrency", async () => {
    const file = await graphFolder(
      flow(
        `    first: {handler: ./steps.mjs#a, timeout: 90s, function: g, maxConcurrency: 8}\n    second: {handler: ./steps.mjs#b, timeout: 500ms, after: [first], function: g}\n    third: {handler: ./steps.mjs#c, timeout: 2s, after: [second]}\n`,
      ),
    );
    const objects = await renderGraph(file, options);
    const grouped = specOf(objectOf(objects, "NuclioFunction", "shop-g"));
    expect(grouped.eventTimeout).toBe("91000ms");
    expect(grouped.env).toContainEqual({ name: "SLUICE_EVENT_TIMEOUT", value: "90000ms" });
    expect(grouped.triggers.http).toEqual({ kind: "http", name: "http", numWorkers: 8 });
    const plain = specOf(objectOf(objects, "NuclioFunction", "shop-third"));
    expect(plain.eventTimeout).toBe("61000ms");
    expect(plain.env.map((e) => e.name)).toEqual(["NUCLIO_HANDLER_DIR", "SLUICE_GRAPH", "SLUICE_FUNCTION"]);
    expect(plain.triggers).toEqual({ http: { kind: "http", name: "http", numWorkers: 1 } });
    expect(JSON.stringify(objects)).not.toContain("maxWorkers");
  });
});

describe("triggers as Nuclio writes them", () => {
  it("gives the function after a Kafka queue a kafka-cluster trigger, and the gateway only writes to it", async () => {
    const file = await graphFolder(
      flow(
        `    first: {handler: ./steps.mjs#a}\n    q: {kind: queue, stream: "kafka://kafka.kafka.svc:9092/orders", after: [first]}\n    later: {handler: ./steps.mjs#b, after: [q]}\n`,
      ),
    );
    const objects = await renderGraph(file, options);
    expect(specOf(objectOf(objects, "NuclioFunction", "shop-later")).triggers["kafka-q"]).toEqual({
      kind: "kafka-cluster",
      name: "kafka-q",
      numWorkers: 1,
      attributes: {
        brokers: ["kafka.kafka.svc:9092"],
        topics: ["orders"],
        consumerGroup: "shop-q",
        initialOffset: "earliest",
        workerAllocationMode: "pool",
      },
    });
    expect(specOf(objectOf(objects, "NuclioFunction", "shop-first")).triggers["kafka-q"]).toBeUndefined();
    const gateway = (objectOf(objects, "ConfigMap", "shop-gateway").data as Record<string, string>)[
      "graph.yaml"
    ];
    expect(gateway).toMatch(
      /q:\n\s+kind: queue\n\s+stream: kafka:\/\/kafka.kafka.svc:9092\/orders\n[\s\S]*consume: false/,
    );
  });

  it("takes a queue's brokers from the graph's Kafka trigger, and reads NATS queues with a nats trigger", async () => {
    const file = await graphFolder(
      flow(
        `    first: {handler: ./steps.mjs#a}\n    q: {kind: queue, stream: "kafka://orders", after: [first]}\n    n: {kind: queue, stream: "nats://nats.nats.svc:4222/audit", after: [first]}\n    k: {handler: ./steps.mjs#b, after: [q]}\n    m: {handler: ./steps.mjs#c, after: [n]}\n`,
        "  responder: first\n  triggers:\n    - {kind: kafka, brokers: ['kafka-0.kafka:9092'], topics: [in], group: shop}\n",
      ),
    );
    const objects = await renderGraph(file, options);
    const k = specOf(objectOf(objects, "NuclioFunction", "shop-k")).triggers["kafka-q"];
    expect(k?.attributes).toMatchObject({ brokers: ["kafka-0.kafka:9092"] });
    expect(specOf(objectOf(objects, "NuclioFunction", "shop-m")).triggers["nats-n"]).toEqual({
      kind: "nats",
      name: "nats-n",
      numWorkers: 1,
      url: "nats://nats.nats.svc:4222",
      attributes: { topic: "audit", queueName: "shop-n" },
    });
  });

  it("fires a cron trigger in the function of the graph's first step, not in the gateway", async () => {
    const file = await graphFolder(
      flow(
        `    first: {handler: ./steps.mjs#a}\n    second: {handler: ./steps.mjs#b, after: [first]}\n`,
        "  triggers:\n    - {kind: http}\n    - {kind: cron, schedule: '*/5 * * * *', event: {body: {tick: true}}}\n",
      ),
    );
    const objects = await renderGraph(file, options);
    expect(specOf(objectOf(objects, "NuclioFunction", "shop-first")).triggers.cron).toEqual({
      kind: "cron",
      name: "cron",
      numWorkers: 1,
      attributes: {
        schedule: "*/5 * * * *",
        event: { body: '{"tick":true}', headers: { "Content-Type": "application/json" } },
      },
    });
    expect(specOf(objectOf(objects, "NuclioFunction", "shop-second")).triggers.cron).toBeUndefined();
    const gateway = (objectOf(objects, "ConfigMap", "shop-gateway").data as Record<string, string>)[
      "graph.yaml"
    ];
    expect(gateway).not.toContain("cron");
    expect(gateway).toContain("kind: http");
  });
});

describe("the gateway", () => {
  it("runs sluice serve on its copy with OIP probes, rolls on a changed graph, and scales with an HPA", async () => {
    const file = await graphFolder(flow(`    first: {handler: ./steps.mjs#a}\n`));
    const objects = await renderGraph(file, { ...options, gatewayImage: "reg/sluice:1.0" });
    const deployment = objectOf(objects, "Deployment", "shop-gateway") as unknown as {
      spec: {
        replicas?: number;
        selector: { matchLabels: Record<string, string> };
        template: {
          metadata: { labels: Record<string, string>; annotations: Record<string, string> };
          spec: { containers: Record<string, unknown>[]; volumes: Record<string, unknown>[] };
        };
      };
    };
    const [container] = deployment.spec.template.spec.containers;
    expect(container?.image).toBe("reg/sluice:1.0");
    expect([container?.command, container?.args].flat()).toEqual([
      "sluice",
      "serve",
      "/etc/sluice/gateway/graph.yaml",
      "--host",
      "0.0.0.0",
      "--port",
      "8080",
    ]);
    expect(container?.readinessProbe).toMatchObject({ httpGet: { path: "/v2/health/ready", port: "http" } });
    expect(container?.livenessProbe).toMatchObject({ httpGet: { path: "/v2/health/live", port: "http" } });
    expect(deployment.spec.replicas).toBeUndefined();
    expect(deployment.spec.selector.matchLabels).toEqual({
      "sluice.io/graph": "shop",
      "sluice.io/function": "gateway",
    });
    expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
    expect(deployment.spec.template.metadata.annotations["sluice.io/config-hash"]).toMatch(/^[0-9a-f]{40}$/);
    expect(objectOf(objects, "Service", "shop-gateway").spec).toMatchObject({
      selector: deployment.spec.selector.matchLabels,
      ports: [{ port: 8080, targetPort: "http" }],
    });
    expect(objectOf(objects, "HorizontalPodAutoscaler", "shop-gateway")).toMatchObject({
      apiVersion: "autoscaling/v2",
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "shop-gateway" },
        minReplicas: 1,
        maxReplicas: 3,
      },
    });

    // A changed step changes the gateway's pods only when the gateway's copy changes.
    const changed = await graphFolder(flow(`    first: {handler: ./steps.mjs#a, timeout: 1s}\n`));
    const again = objectOf(
      await renderGraph(changed, options),
      "Deployment",
      "shop-gateway",
    ) as unknown as typeof deployment;
    expect(again.spec.template.metadata.annotations["sluice.io/config-hash"]).not.toBe(
      deployment.spec.template.metadata.annotations["sluice.io/config-hash"],
    );
  });
});
