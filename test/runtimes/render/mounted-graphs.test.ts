import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type GraphDocument, loadGraph } from "../../../src/graph/index.js";
import { FunctionHost } from "../../../src/runtimes/nuclio/index.js";
import { type KubeObject, renderGraph } from "../../../src/runtimes/render/index.js";
import {
  type ConfigMapVolume,
  configMapVolumes,
  mountVolume,
  pathInMount,
} from "../../helpers/config-map-mount.js";
import { memoryLogger } from "../../helpers/graphs.js";
import { graphFolder, objectOf, specOf, stepsModule, tempDir } from "./helpers.js";

const tenSteps = fileURLToPath(new URL("../../fixtures/deploy/ten-steps/graph.yaml", import.meta.url));
const options = { namespace: "ml", image: "reg/sluice-nuclio:1.0" };

/** Mounts what a pod of `owner` (a NuclioFunction or the gateway's Deployment) sees and compiles its graph there, as the entry or `serve` would. */
async function compileMounted(objects: KubeObject[], owner: KubeObject, graphPath: string) {
  const dir = await tempDir();
  await mountVolume(objects, volumeOf(owner), dir);
  const graph = await loadGraph(join(dir, graphPath), { logger: memoryLogger() });
  await graph.close();
  return graph.document;
}

function volumeOf(owner: KubeObject): ConfigMapVolume {
  const [volume] = configMapVolumes(owner);
  if (!volume) throw new Error(`${owner.metadata.name} mounts no ConfigMap`);
  return volume;
}

const gatewayOf = (objects: KubeObject[]) => objectOf(objects, "Deployment", "ten-steps-gateway");

describe("what a pod finds at its mount compiles as a graph", () => {
  it("in every step function of the ten-step graph, with its own task steps local and the others placed in Nuclio", async () => {
    const objects = await renderGraph(tenSteps, options);
    const functions = objects.filter((o) => o.kind === "NuclioFunction");
    expect(functions).toHaveLength(6);
    for (const fn of functions) {
      expect(volumeOf(fn)).toMatchObject({
        configMap: `${fn.metadata.name}-code`,
        mountPath: "/etc/sluice/graph",
      });
      const document = await compileMounted(objects, fn, "graph.json");
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
    const document: GraphDocument = await compileMounted(objects, gatewayOf(objects), "graph.yaml");
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
    expect(volumeOf(gatewayOf(objects)).items.map((i) => i.path)).toEqual([
      "graph.yaml",
      "lib/math.mjs",
      "steps.mjs",
    ]);
  });
});

describe("sluice's Nuclio entry opens what a step function mounts", () => {
  it("hosting exactly the steps of the function SLUICE_FUNCTION names", async () => {
    const objects = await renderGraph(tenSteps, options);
    const hosted: Record<string, string[]> = {};
    for (const fn of objects.filter((o) => o.kind === "NuclioFunction")) {
      const dir = await tempDir();
      await mountVolume(objects, volumeOf(fn), dir);
      const env = Object.fromEntries(specOf(fn).env.map((e) => [e.name, e.value ?? ""]));
      const mounted = pathInMount(env.SLUICE_GRAPH ?? "", volumeOf(fn), dir);
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
