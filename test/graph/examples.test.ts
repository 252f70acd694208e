import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it, onTestFinished } from "vitest";
import { loadGraph } from "../../src/graph/index.js";
import { memoryLogger } from "../helpers/graphs.js";

const examples = fileURLToPath(new URL("../../examples/", import.meta.url));

async function example(name: string) {
  const graph = await loadGraph(join(examples, name, "graph.yaml"), { logger: memoryLogger() });
  onTestFinished(() => graph.close());
  await graph.whenReady();
  return graph;
}

describe("examples/inference", () => {
  it("classifies iris flowers through preprocess → model router → postprocess", async () => {
    const graph = await example("inference");
    const body = {
      id: "1",
      inputs: [
        {
          name: "features",
          shape: [2, 4],
          datatype: "FP32",
          data: [
            [5.1, 3.5, 1.4, 0.2],
            [6.7, 3.0, 5.2, 2.3],
          ],
        },
      ],
    };
    expect(await graph.invoke({ path: "/v2/models/iris/infer", body })).toEqual({
      model_name: "iris",
      id: "1",
      outputs: [{ name: "class", shape: [2], datatype: "BYTES", data: ["setosa", "virginica"] }],
      summary: "setosa, virginica",
    });
  });

  it("serves the second model version under /versions/v2", async () => {
    const graph = await example("inference");
    const body = {
      inputs: [{ name: "features", shape: [1, 4], datatype: "FP32", data: [6.0, 2.9, 2.2, 1.0] }],
    };
    // Petal length 2.2 cm: below v1's cut (2.5 cm) but above v2's (2.0 cm).
    expect(await graph.invoke({ path: "/v2/models/iris/infer", body })).toMatchObject({ summary: "setosa" });
    expect(await graph.invoke({ path: "/v2/models/iris/versions/v2/infer", body })).toMatchObject({
      model_version: "v2",
      summary: "versicolor",
    });
  });
});

describe("examples/enrichment", () => {
  it("joins the user lookup and the risk check into one decision", async () => {
    const graph = await example("enrichment");
    expect(await graph.invoke({ body: { user: "u1", amount: 250, country: "NL" } })).toEqual({
      user: "u1",
      amount: 250,
      tier: "gold",
      risk: "low",
      approved: true,
      source: "sluice",
    });
    expect(await graph.invoke({ body: { user: "u2", amount: 250, country: "XX" } })).toMatchObject({
      tier: "basic",
      risk: "high",
      approved: false,
    });
  });
});

describe("examples/error-handling", () => {
  it("charges small amounts", async () => {
    const graph = await example("error-handling");
    expect(await graph.invoke({ body: { amount: 20 } })).toEqual({
      amount: 20,
      charged: true,
      notified: true,
    });
  });

  it("declines amounts over the limit and still notifies", async () => {
    const graph = await example("error-handling");
    expect(await graph.invoke({ body: { amount: 5000 } })).toEqual({
      amount: 5000,
      charged: false,
      reason: "OVER_LIMIT",
      notified: true,
    });
  });

  it("answers other failures from the graph-level handler", async () => {
    const graph = await example("error-handling");
    expect(await graph.invoke({ body: { x: 1 } })).toEqual({
      error: "amount must be a number",
      step: "validate",
    });
  });
});
