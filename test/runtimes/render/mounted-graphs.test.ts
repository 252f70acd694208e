import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type GraphDocument, loadGraph } from "../../../src/graph/index.js";
import { FunctionHost } from "../../../src/runtimes/nuclio/index.js";
import { type KubeObject, renderGraph } from "../../../src/runtimes/render/index.js";
import { memoryLogger } from "../../helpers/graphs.js";
import { graphFolder, mountConfigMap, objectOf, specOf, stepsModule, tempDir } from "./helpers.js";

const tenSteps = fileURLToPath(new URL("../../fixtures/deploy/ten-steps/graph.yaml", import.meta.url));
const options = { namespace: "ml", image: "reg/sluice-nuclio:1.0" };

/** Mounts what a pod of `owner` sees and compiles its graph there, as the entry or `serve` would. */
async function compileMounted(
  objects: KubeObject[],
  configMapName: string,
  items: { key: string; path: string }[],
  graphPath: string,
) {
  const dir = await tempDir();
  await mountConfigMap(objectOf(objects, "ConfigMap", configMapName), items, dir);
  const graph = await loadGraph(join(dir, graphPath), { logger: memoryLogger() });
  await graph.close();
  return graph.document;
}

function functionItems(fn: KubeObject) {
  const configMap = specOf(fn).volumes[0]?.volume.configMap as
    | { items: { key: string; path: string }[] }
    | undefined;
  return configMap?.items ?? [];
}

function gatewayItems(objects: KubeObject[]) {
  const deployment = objectOf(objects, "Deployment", "ten-steps-gateway") as unknown as {
    spec: { template: { spec: { volumes: { configMap: { items: { key: string; path: string }[] } }[] } } };
  };
  return deployment.spec.template.spec.volumes[0]?.configMap.items ?? [];
}

describe("what a pod finds at its mount compiles as a graph", () => {
  it("in every step function of the ten-step graph, with its own task steps local and the others placed in Nuclio", async () => {
    const objects = await renderGraph(tenSteps, options);
    const functions = objects.filter((o) => o.kind === "NuclioFunction");
    expect(functions).toHaveLength(6);
    for (const fn of functions) {
      const document = await compileMounted(
        objects,
        `${fn.metadata.name}-code`,
        functionItems(fn),
        "graph.json",
      );
      const own = specOf(fn).env.find((e) => e.name === "SLUICE_FUNCTION")?.value;
      for (const [name, step] of Object.entries(document.spec.steps ?? {})) {
        // Queues, error handlers and routers are not functions: every copy keeps them as written.
        if (step.kind !== undefined && step.kind !== "task") continue;
        const group = step.function ?? name;
        // A step of this function runs here; any other step is a call to its function.
        expect({ name, placement: step.placement ?? "local" }).toEqual({
          name,
          placement: group === own ? "local" : "nuclio",
        });
      }
    }
  });

  it("in the gateway, where every deployed task is a call and the queue is only written to", async () => {
    const objects = await renderGraph(tenSteps, options);
    const document: GraphDocument = await compileMounted(
      objects,
      "ten-steps-gateway",
      gatewayItems(objects),
      "graph.yaml",
    );
    const steps = document.spec.steps ?? {};
    expect(steps.publish).toEqual({
      kind: "queue",
      stream: "kafka://kafka.kafka.svc:9092/ten-steps-scored",
      after: ["route"],
      consume: false,
    });
    expect(steps.enrich).toEqual({
      kind: "task",
      after: ["validate"],
      function: "enrichers",
      result_path: "tier",
      placement: "nuclio",
      nuclio: { url: "http://nuclio-ten-steps-enrichers:8080/" },
    });
    // A router stays in the gateway, which serves it as `sluice serve` would.
    expect(steps.route).toMatchObject({ kind: "router", type: "switch", after: ["score"], default: "low" });
    expect(steps.oops).toEqual({ kind: "error", handler: "./steps.mjs#oops" });
    // The gateway runs the router and the error handler itself: their module (and what it imports) is shipped.
    expect(gatewayItems(objects).map((i) => i.path)).toEqual(["graph.yaml", "lib/math.mjs", "steps.mjs"]);
  });
});

describe("sluice's Nuclio entry opens what a step function mounts", () => {
  it("hosting exactly the steps of the function SLUICE_FUNCTION names", async () => {
    const objects = await renderGraph(tenSteps, options);
    const hosted: Record<string, string[]> = {};
    for (const fn of objects.filter((o) => o.kind === "NuclioFunction")) {
      const dir = await tempDir();
      await mountConfigMap(
        objectOf(objects, "ConfigMap", `${fn.metadata.name}-code`),
        functionItems(fn),
        dir,
      );
      const env = Object.fromEntries(specOf(fn).env.map((e) => [e.name, e.value ?? ""]));
      const mounted = (env.SLUICE_GRAPH ?? "").replace("/etc/sluice/graph", dir);
      const host = await FunctionHost.open(mounted, env.SLUICE_FUNCTION, memoryLogger());
      hosted[fn.metadata.name] = [...host.steps.keys()];
    }
    expect(hosted).toEqual({
      "ten-steps-parse": ["parse"],
      "ten-steps-validate": ["validate"],
      "ten-steps-enrichers": ["enrich", "geo"],
      "ten-steps-score": ["score"],
      "ten-steps-store": ["store"],
      "ten-steps-notify": ["notify"],
    });
  });
});

describe("rendering is deterministic and a change stays local", () => {
  it("gives byte-identical output for the same graph", async () => {
    const first = JSON.stringify(await renderGraph(tenSteps, options));
    const second = JSON.stringify(await renderGraph(tenSteps, options));
    expect(second).toBe(first);
  });

  it("changes only the changed step's function when one step's args change", async () => {
    const text = await readFile(tenSteps, "utf8");
    const base = await graphFolder({
      "graph.yaml": text,
      "steps.mjs": stepsModule,
      "lib/math.mjs": "export const clamp = (v) => v;\n",
    });
    const changed = await graphFolder({
      "graph.yaml": text.replace("u2: basic", "u2: silver"),
      "steps.mjs": stepsModule,
      "lib/math.mjs": "export const clamp = (v) => v;\n",
    });
    const before = await renderGraph(base, options);
    const after = await renderGraph(changed, options);
    const differing = after
      .filter((o, i) => JSON.stringify(o) !== JSON.stringify(before[i]))
      .map((o) => `${o.kind}/${o.metadata.name}`);
    expect(differing).toEqual(["ConfigMap/ten-steps-enrichers-code", "NuclioFunction/ten-steps-enrichers"]);
  });
});
