import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { isSluiceError } from "../../../src/errors.js";
import { renderDeployable, renderGraph } from "../../../src/runtimes/render/index.js";
import { sluice } from "../../helpers/cli.js";
import { flow, graphFolder, objectOf } from "./helpers.js";

const options = { namespace: "ml", image: "reg/sluice:1.0", gatewayOnly: true };

/** The gateway's copy of the graph, as its ConfigMap holds it. */
function gatewayGraph(objects: Awaited<ReturnType<typeof renderGraph>>): {
  spec: { steps: Record<string, Record<string, unknown>>; triggers?: { kind: string }[] };
} {
  const data = objectOf(objects, "ConfigMap", "shop-gateway").data as Record<string, string>;
  return parse(data["graph.yaml"] ?? "");
}

async function refusal(file: string, opts: Parameters<typeof renderGraph>[1]): Promise<string> {
  try {
    await renderGraph(file, opts);
  } catch (error) {
    if (isSluiceError(error)) return error.message;
    throw error;
  }
  throw new Error("rendered a graph that cannot be deployed");
}

describe("sluice deploy --gateway-only: the graph served by sluice serve in a Deployment", () => {
  it("renders only the gateway's objects, running every step as written, with all their code", async () => {
    const file = await graphFolder({
      ...flow(
        "    first: {handler: ./steps.mjs#a}\n    second: {handler: ./lib/more.mjs#b, after: [first]}\n",
      ),
      "lib/more.mjs": 'export { b } from "./deep.mjs";\n',
      "lib/deep.mjs": "export function b(body) { return body; }\n",
    });
    const objects = await renderGraph(file, options);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      "ConfigMap/shop-gateway",
      "Deployment/shop-gateway",
      "Service/shop-gateway",
      "HorizontalPodAutoscaler/shop-gateway",
      "PodDisruptionBudget/shop-gateway",
    ]);
    // No step is placed in Nuclio: the copy is the document's own steps.
    expect(gatewayGraph(objects).spec.steps).toEqual({
      first: { handler: "./steps.mjs#a" },
      second: { handler: "./lib/more.mjs#b", after: ["first"] },
    });
    const volume = (
      objectOf(objects, "Deployment", "shop-gateway").spec as {
        template: { spec: { volumes: { name: string; configMap?: { items: { path: string }[] } }[] } };
      }
    ).template.spec.volumes.find((v) => v.name === "graph");
    expect(volume?.configMap?.items.map((i) => i.path).sort()).toEqual([
      "graph.yaml",
      "lib/deep.mjs",
      "lib/more.mjs",
      "steps.mjs",
    ]);
  });

  it("keeps in-process queues and cron triggers in the gateway, as sluice serve runs them", async () => {
    const file = await graphFolder(
      flow(
        "    a: {handler: ./steps.mjs#a}\n    q: {kind: queue, after: [a]}\n    b: {handler: ./steps.mjs#b, after: [q]}\n",
        '  triggers:\n    - {kind: cron, schedule: "*/5 * * * *"}\n',
      ),
    );
    const copy = gatewayGraph(await renderGraph(file, options));
    expect(copy.spec.steps.q).toEqual({ kind: "queue", after: ["a"] });
    expect(copy.spec.triggers?.map((t) => t.kind)).toEqual(["cron"]);
  });

  it("refuses a queue's loopback broker, which the gateway's pods cannot reach", async () => {
    const file = await graphFolder(
      flow(
        '    a: {handler: ./steps.mjs#a}\n    q: {kind: queue, stream: "kafka://127.0.0.1:9092/t", after: [a]}\n',
      ),
    );
    expect(await refusal(file, options)).toMatch(
      /step "q", field stream: the broker 127\.0\.0\.1:9092 is a loopback address/,
    );
  });

  it("runs the gateway from --gateway-image, else --image, and asks for one when neither is given", async () => {
    const file = await graphFolder(flow("    a: {handler: ./steps.mjs#a}\n"));
    const image = (objects: Awaited<ReturnType<typeof renderGraph>>) =>
      (
        objectOf(objects, "Deployment", "shop-gateway").spec as {
          template: { spec: { containers: { image: string }[] } };
        }
      ).template.spec.containers[0]?.image;
    expect(image(await renderGraph(file, options))).toBe("reg/sluice:1.0");
    expect(image(await renderGraph(file, { ...options, gatewayImage: "reg/gw:2" }))).toBe("reg/gw:2");
    expect(await refusal(file, { namespace: "ml", gatewayOnly: true })).toMatch(
      /the gateway: no image: the gateway runs `sluice serve` from sluice's image/,
    );
  });

  it("refuses a nuclio function document: it has no graph to serve", async () => {
    const file = await graphFolder(
      {
        "fn.yaml":
          "kind: nuclio\nmetadata: {name: echo}\nspec: {function_handler: 'main:handler', image: 'reg/fn:1'}\n",
      },
      "fn.yaml",
    );
    await expect(renderDeployable(file, options)).rejects.toThrow(
      /function "echo": a nuclio function runs its own handler in Nuclio: it has no graph for a gateway to serve/,
    );
  });

  it("prints the gateway's objects from the command line with --dry-run", async () => {
    const { code, stdout, stderr } = await sluice(
      "deploy",
      "examples/enrichment/graph.yaml",
      "--gateway-only",
      "--dry-run",
      "-o",
      "json",
      "--image",
      "reg/sluice:1.0",
    );
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const items = (JSON.parse(stdout) as { items: { kind: string }[] }).items;
    expect(items.map((o) => o.kind)).toEqual([
      "ConfigMap",
      "Deployment",
      "Service",
      "HorizontalPodAutoscaler",
      "PodDisruptionBudget",
    ]);
  });
});
