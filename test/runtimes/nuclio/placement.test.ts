import { describe, expect, it } from "vitest";
import type { GraphDocument } from "../../../src/graph/index.js";
import { functionGroups, placeStepsInNuclio } from "../../../src/runtimes/nuclio/index.js";

const doc: GraphDocument = {
  apiVersion: "sluice/v1",
  kind: "Graph",
  metadata: { name: "shop" },
  spec: {
    steps: {
      parse: { handler: "./s.mjs#parse", nuclio: { retries: 2 } },
      price: { handler: "./s.mjs#price", after: ["parse"], function: "pricing" },
      tax: { kind: "task", handler: "./s.mjs#tax", after: ["price"], function: "pricing" },
      cheap: { handler: "builtin:echo", after: ["tax"], placement: "local" },
      models: {
        kind: "router",
        type: "model",
        after: ["cheap"],
        routes: { m: { kind: "model", class: "./m.mjs#M" } },
      },
      score: { kind: "model", class: "./m.mjs#M", after: ["models"] },
      call: { kind: "remote", url: "http://example.test/", after: ["score"] },
      q: { kind: "queue", after: ["call"] },
      oops: { kind: "error", handler: "./s.mjs#oops" },
    },
  },
};

describe("placeStepsInNuclio", () => {
  const placed = placeStepsInNuclio(doc, (fn, graph) => `http://nuclio-${graph}-${fn}:8080/`);

  it("moves task steps into their function's URL, keeping their other nuclio settings", () => {
    expect(placed.spec.steps?.parse).toMatchObject({
      placement: "nuclio",
      nuclio: { retries: 2, url: "http://nuclio-shop-parse:8080/" },
    });
    expect(placed.spec.steps?.price).toMatchObject({ nuclio: { url: "http://nuclio-shop-pricing:8080/" } });
    expect(placed.spec.steps?.tax).toMatchObject({ nuclio: { url: "http://nuclio-shop-pricing:8080/" } });
  });

  it("leaves routers, models, remote steps, queues, error handlers and placement: local in the gateway", () => {
    for (const name of ["cheap", "models", "score", "call", "q", "oops"])
      expect(placed.spec.steps?.[name]).toBe(doc.spec.steps?.[name]);
  });

  it("does not change the document it is given", () => {
    expect(doc.spec.steps?.parse).toEqual({ handler: "./s.mjs#parse", nuclio: { retries: 2 } });
  });

  it("leaves a router graph as it is", () => {
    const router: GraphDocument = { ...doc, spec: { topology: "router", router: { routes: {} } } };
    expect(placeStepsInNuclio(router, () => "http://x/")).toBe(router);
  });
});

describe("functionGroups", () => {
  it("groups steps by `function`, one per step by default, without queues and error handlers", () => {
    expect([...functionGroups(doc)]).toEqual([
      ["parse", ["parse"]],
      ["pricing", ["price", "tax"]],
      ["cheap", ["cheap"]],
      ["models", ["models"]],
      ["score", ["score"]],
      ["call", ["call"]],
    ]);
  });
});
