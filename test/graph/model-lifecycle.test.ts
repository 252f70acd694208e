import { describe, expect, it } from "vitest";
import type { ModelRunner } from "../../src/graph/index.js";
import { graphOf } from "../helpers/graphs.js";

const graph = `
apiVersion: sluice/v1
kind: Graph
metadata: {name: lifecycle}
spec:
  topology: router
  router:
    routes:
      plain: {kind: model, class: ./lifecycle-models.mjs#Plain}
      hooked: {kind: model, class: ./lifecycle-models.mjs#Hooked}
      batched: {kind: model, class: ./lifecycle-models.mjs#Hooked, batching: {max_batch_size: 2, max_batch_time: 1ms}}
`;

/** An infer request whose parameters say how each hook behaves; `post` rides in the id. */
const request = (how: { predict?: string; pre?: string; post?: string }) => ({
  ...(how.post === undefined ? {} : { id: how.post }),
  parameters: how,
  inputs: [{ name: "x", shape: [1], datatype: "FP64", data: [1] }],
});

const ways = ["sync", "async", "throw", "reject"];

describe("a model counts the requests inside it, so an unload waits for exactly those", () => {
  it("counts every request out again, whichever hook was sync, async or failed", async () => {
    const g = await graphOf(graph);
    const runs: Promise<unknown>[] = [];
    for (const model of ["plain", "hooked", "batched"]) {
      for (const predict of ways) {
        for (const pre of model === "plain" ? [undefined] : ways) {
          for (const post of model === "plain" ? [undefined] : ways) {
            const path = `/v2/models/${model}/infer`;
            const how = { predict, ...(pre ? { pre } : {}), ...(post ? { post } : {}) };
            runs.push(g.invoke({ path, body: request(how) }).catch(() => "failed"));
          }
        }
      }
    }
    const outcomes = await Promise.all(runs);
    expect(outcomes.filter((o) => o === "failed").length).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o !== "failed").length).toBeGreaterThan(0);
    // Nothing is inside any model now: each unload goes through at once.
    for (const model of g.models.values()) {
      await model.unload();
      expect(model.state).toBe("UNAVAILABLE");
    }
  });

  it("holds an unload until the request inside the model has answered, and refuses new ones", async () => {
    const g = await graphOf(graph);
    const model = g.models.get("hooked") as ModelRunner;
    let release = () => {};
    (globalThis as { sluiceTestHold?: Promise<void> }).sluiceTestHold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const order: string[] = [];
    const inside = g
      .invoke({ path: "/v2/models/hooked/infer", body: request({ predict: "hold" }) })
      .then(() => order.push("answered"));
    const unloading = model.unload().then(() => order.push("unloaded"));
    await new Promise((resolve) => setImmediate(resolve));
    expect(model.state).toBe("UNLOADING");
    expect(order).toEqual([]);
    await expect(g.invoke({ path: "/v2/models/hooked/infer", body: request({}) })).rejects.toThrow(
      'model "hooked" is being unloaded',
    );
    release();
    await Promise.all([inside, unloading]);
    expect(order).toEqual(["answered", "unloaded"]);
    expect(model.state).toBe("UNAVAILABLE");
  });
});
