import { describe, expect, it } from "vitest";
import type { StepError } from "../../src/graph/index.js";
import { flow, graphOf } from "../helpers/graphs.js";

const tensor = (data: number[]) => ({
  inputs: [{ name: "x", shape: [data.length], datatype: "FP64", data }],
});
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as StepError,
  );

const modelRouter = flow(`
  models:
    kind: router
    type: model
    routes:
      double: {kind: model, class: ./steps.mjs#Model, args: {factor: 2}}
      "double:v2": {kind: model, class: ./steps.mjs#HookedModel, args: {factor: 20}}
      triple:v1: {kind: model, class: ./steps.mjs#Model, args: {factor: 3}}
`);

describe("the model router", () => {
  it("routes /v2/models/<name>/infer to the named model and answers in OIP", async () => {
    const graph = await graphOf(modelRouter);
    const response = await graph.invoke({
      path: "/v2/models/double/infer",
      body: { id: "r1", ...tensor([1, 2]) },
    });
    expect(response).toEqual({
      model_name: "double",
      id: "r1",
      outputs: [{ name: "out", shape: [2], datatype: "FP64", data: [2, 4] }],
    });
  });

  it("routes /versions/<v> to the route keyed name:v", async () => {
    const graph = await graphOf(modelRouter);
    const response = await graph.invoke({ path: "/v2/models/double/versions/v2/infer", body: tensor([1]) });
    // HookedModel adds 1 in preprocess, then multiplies by 20, then marks postprocess.
    expect(response).toEqual({
      model_name: "double",
      model_version: "v2",
      parameters: { post: true },
      outputs: [{ name: "out", shape: [1], datatype: "FP64", data: [40] }],
    });
  });

  it("answers an unversioned path with a model's only version", async () => {
    const graph = await graphOf(modelRouter);
    const response = (await graph.invoke({ path: "/v2/models/triple/infer", body: tensor([1]) })) as {
      model_version: string;
    };
    expect(response.model_version).toBe("v1");
  });

  it("answers 404 listing the known models for an unknown model", async () => {
    const graph = await graphOf(modelRouter);
    const error = await failure(graph.invoke({ path: "/v2/models/nope/infer", body: tensor([1]) }));
    expect(error?.status).toBe(404);
    expect(error?.message).toContain('model "nope" not found; known models: double, double:v2, triple:v1');
  });

  it("never falls back to a first route when the path names no model", async () => {
    const graph = await graphOf(modelRouter);
    const error = await failure(graph.invoke({ path: "/predict", body: tensor([1]) }));
    expect(error?.status).toBe(404);
    expect(error?.message).toContain("needs a model in the path");
  });

  it("serves explain, ready and metadata for each model", async () => {
    const graph = await graphOf(modelRouter);
    expect(await graph.invoke({ path: "/v2/models/double/versions/v2/explain", body: tensor([1]) })).toEqual({
      explanation: "factor 20",
      inputs: 1,
    });
    expect(await graph.invoke({ path: "/v2/models/double/ready", method: "GET" })).toEqual({
      name: "double",
      ready: true,
    });
    expect(await graph.invoke({ path: "/v2/models/double", method: "GET" })).toEqual({
      name: "double",
      platform: "test",
      inputs: [{ name: "x", datatype: "FP64", shape: [-1] }],
      outputs: [],
    });
  });

  it("answers a malformed infer request with a 400 that names the problem", async () => {
    const graph = await graphOf(modelRouter);
    const body = { inputs: [{ name: "x", shape: [3], datatype: "FP64", data: [1, 2] }] };
    const error = await failure(graph.invoke({ path: "/v2/models/double/infer", body }));
    expect(error?.status).toBe(400);
    expect(error?.message).toMatch(/x/);
  });
});

describe("model readiness", () => {
  it("is not ready, and answers 503, until load() resolves", async () => {
    const { loadGraphText } = await import("../../src/graph/index.js");
    const { graphFixtures, memoryLogger } = await import("../helpers/graphs.js");
    const graph = await loadGraphText(
      flow(`m: {kind: model, class: ./steps.mjs#Model, args: {loadMs: 100}}`),
      `${graphFixtures}/inline.yaml`,
      { logger: memoryLogger() },
    );
    await graph.start();
    expect(graph.ready).toBe(false);
    const early = await failure(graph.invoke({ body: tensor([1]) }));
    expect(early?.status).toBe(503);
    expect(early?.message).toContain('model "m" is still loading');
    await graph.whenReady();
    expect(graph.ready).toBe(true);
    expect(await graph.invoke({ body: tensor([1]) })).toMatchObject({ model_name: "m" });
    await graph.close();
  });

  it("stays unready with the load error when load() fails", async () => {
    const graph = await graphOf(flow(`m: {kind: model, class: ./steps.mjs#BrokenLoad}`));
    expect(graph.ready).toBe(false);
    const error = await failure(graph.invoke({ body: tensor([1]) }));
    expect(error?.message).toContain("failed to load: weights missing");
  });
});

describe("the switch router", () => {
  const graph = () =>
    graphOf(
      flow(`
        pick:
          kind: router
          type: switch
          default: small
          routes:
            big: {handler: builtin:set, args: {fields: {route: big}}, when: "body.amount > 100"}
            vip: {handler: builtin:set, args: {fields: {route: vip}}, when: "headers['x-tier'] == 'gold'"}
            small: {handler: builtin:set, args: {fields: {route: small}}}
      `),
    );

  it("takes the first route whose when is true", async () => {
    const g = await graph();
    expect(await g.invoke({ body: { amount: 500 }, headers: { "x-tier": "gold" } })).toEqual({
      amount: 500,
      route: "big",
    });
    expect(await g.invoke({ body: { amount: 5 }, headers: { "x-tier": "gold" } })).toEqual({
      amount: 5,
      route: "vip",
    });
  });

  it("takes the default route when nothing matches", async () => {
    const g = await graph();
    expect(await g.invoke({ body: { amount: 5 } })).toEqual({ amount: 5, route: "small" });
  });

  it("answers 404 when nothing matches and there is no default", async () => {
    const g = await graphOf(
      flow(`
        pick:
          kind: router
          type: switch
          routes:
            big: {handler: builtin:echo, when: "body.amount > 100"}
      `),
    );
    const error = await failure(g.invoke({ body: { amount: 1 } }));
    expect(error?.status).toBe(404);
    expect(error?.message).toContain('no route of switch "pick" matched');
  });
});

describe("the split router", () => {
  const splitGraph = () =>
    graphOf(
      flow(`
        canary:
          kind: router
          type: split
          routes:
            stable: {handler: builtin:set, args: {fields: {route: stable}}, weight: 90}
            canary: {handler: builtin:set, args: {fields: {route: canary}}, weight: 10}
      `),
    );

  it("sends each event id to the same route every time", async () => {
    const graph = await splitGraph();
    for (const id of ["a", "b", "c", "d"]) {
      const first = await graph.invoke({ id, body: {} });
      for (let i = 0; i < 5; i++) expect(await graph.invoke({ id, body: {} })).toEqual(first);
    }
  });

  it("splits traffic by weight", async () => {
    const graph = await splitGraph();
    let canary = 0;
    for (let i = 0; i < 2000; i++) {
      const out = (await graph.invoke({ id: `event-${i}`, body: {} })) as { route: string };
      if (out.route === "canary") canary++;
    }
    expect(canary / 2000).toBeGreaterThan(0.07);
    expect(canary / 2000).toBeLessThan(0.13);
  });
});

describe("the ensemble router", () => {
  it("answers the weighted majority of its models for classification", async () => {
    const graph = await graphOf(
      flow(`
        vote:
          kind: router
          type: ensemble
          vote: classification
          weights: {a: 1, b: 1, c: 3}
          routes:
            a: {kind: model, class: ./steps.mjs#Labeller, args: {label: cat}}
            b: {kind: model, class: ./steps.mjs#Labeller, args: {label: cat}}
            c: {kind: model, class: ./steps.mjs#Labeller, args: {label: dog}}
      `),
    );
    const response = await graph.invoke({ body: { id: "q", ...tensor([1, 2]) } });
    expect(response).toEqual({
      model_name: "vote",
      id: "q",
      outputs: [{ name: "label", shape: [2], datatype: "BYTES", data: ["dog", "dog"] }],
    });
  });

  it("answers the weighted mean of its models for regression", async () => {
    const graph = await graphOf(
      flow(`
        mean:
          kind: router
          type: ensemble
          vote: regression
          weights: {low: 1, high: 3}
          routes:
            low: {kind: model, class: ./steps.mjs#Scorer, args: {score: 0}}
            high: {kind: model, class: ./steps.mjs#Scorer, args: {score: 4}}
      `),
    );
    const response = (await graph.invoke({ body: tensor([7]) })) as { outputs: { data: number[] }[] };
    expect(response.outputs[0]?.data).toEqual([3]);
  });

  it("votes on the elements of models that answer typed arrays", async () => {
    const graph = await graphOf(
      flow(`
        mean:
          kind: router
          type: ensemble
          vote: regression
          routes:
            low: {kind: model, class: ./steps.mjs#Scorer, args: {score: 1, typed: true}}
            high: {kind: model, class: ./steps.mjs#Scorer, args: {score: 5}}
      `),
    );
    const response = (await graph.invoke({ body: tensor([7, 8]) })) as { outputs: { data: number[] }[] };
    expect(response.outputs[0]?.data).toEqual([3, 3]);
  });
});

describe("the parallel router", () => {
  it("runs every route and answers {route: output}", async () => {
    const graph = await graphOf(
      flow(`
        both:
          kind: router
          type: parallel
          routes:
            twice: {handler: ./steps.mjs#double}
            same: {handler: ./steps.mjs#identity}
      `),
    );
    expect(await graph.invoke({ body: 4 })).toEqual({ twice: 8, same: 4 });
  });

  it("fails, naming the route, when one route fails", async () => {
    const graph = await graphOf(
      flow(`
        both:
          kind: router
          type: parallel
          routes:
            ok: {handler: ./steps.mjs#identity}
            bad: {handler: ./steps.mjs#boom}
      `),
    );
    const error = await failure(graph.invoke({ body: 4 }));
    expect(error?.message).toBe('step "both/bad" failed: kaboom');
  });
});

describe("topology: router", () => {
  it("serves a graph whose root is a router over models", async () => {
    const graph = await graphOf(`
apiVersion: sluice/v1
kind: Graph
metadata: {name: models}
spec:
  topology: router
  router:
    routes:
      m: {kind: model, class: ./steps.mjs#Model, args: {factor: 5}}
`);
    expect(await graph.invoke({ path: "/v2/models/m/infer", body: tensor([2]) })).toMatchObject({
      outputs: [{ data: [10] }],
    });
  });
});
