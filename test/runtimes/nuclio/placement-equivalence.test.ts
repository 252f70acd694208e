import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Case, type ThreePlacements, threePlacements } from "./three-placements.js";

const examples = fileURLToPath(new URL("../../../examples/", import.meta.url));
const rules = fileURLToPath(new URL("../../fixtures/placement/", import.meta.url));

const iris = (data: number[]) => ({ inputs: [{ name: "features", shape: [1, 4], datatype: "FP32", data }] });

/** Each graph with its inputs; every case must give the same status and body in all three placements. */
const suites: { file: string; functions: string[]; cases: Case[] }[] = [
  {
    file: `${examples}enrichment/graph.yaml`,
    functions: ["parse", "user", "risk", "decide", "tag"],
    cases: [
      {
        name: "a gold user from a low-risk country",
        body: { user: "u1", amount: 250, country: "NL" },
        status: 200,
      },
      { name: "a basic user from elsewhere", body: { user: "u2", amount: 5000, country: "XX" }, status: 200 },
      { name: "an unknown user", body: { user: "nobody", amount: 1, country: "NL" }, status: 200 },
    ],
  },
  {
    file: `${examples}error-handling/graph.yaml`,
    functions: ["validate", "charge", "notify"],
    cases: [
      { name: "a charge within the limit", body: { amount: 20 }, status: 200 },
      { name: "a declined charge continuing into notify", body: { amount: 5000 }, status: 200 },
      { name: "an invalid amount caught by the graph's handler", body: { amount: "lots" }, status: 200 },
    ],
  },
  {
    file: `${examples}inference/graph.yaml`,
    functions: ["scale", "label"],
    cases: [
      { name: "model v1", path: "/v2/models/iris/infer", body: iris([6.0, 2.9, 2.2, 1.0]), status: 200 },
      {
        name: "model v2",
        path: "/v2/models/iris/versions/v2/infer",
        body: iris([6.0, 2.9, 2.2, 1.0]),
        status: 200,
      },
      {
        name: "an unknown model",
        path: "/v2/models/rose/infer",
        body: iris([1, 2, 3, 4]),
        status: 404,
        answeredByGateway: true,
      },
    ],
  },
  {
    file: `${rules}flow.yaml`,
    functions: ["start", "lookup", "risk", "join", "whole"],
    cases: [
      {
        name: "a join of input_path/result_path and a full_event step",
        body: { user: "u1", amount: 500 },
        status: 200,
      },
      { name: "a dropped event", body: { mode: "drop" }, status: 204 },
      { name: "a step error's own status", body: { mode: "bad" }, status: 422 },
      { name: "a thrown string", body: { mode: "string" }, status: 500 },
      { name: "an async rejection", body: { mode: "reject" }, status: 500 },
      { name: "a step past its timeout", body: { mode: "slow", user: "u1" }, status: 504 },
    ],
  },
  {
    file: `${rules}bytes.yaml`,
    functions: ["start", "length"],
    cases: [{ name: "bytes from one step into the next", body: { mode: "bytes", user: "u9" }, status: 200 }],
  },
  {
    file: `${rules}errors.yaml`,
    functions: ["charge", "notify", "audit"],
    cases: [
      { name: "no error", body: { amount: 5 }, status: 200 },
      { name: "an error handler that continues before notify", body: { amount: 500 }, status: 200 },
      { name: "a step's 418 with no handler", body: { amount: 5, teapot: true }, status: 418 },
      { name: "a timeout after the handler", body: { amount: 500, slow: true }, status: 504 },
      { name: "a thrown string after the handler", body: { amount: 5, boom: true }, status: 500 },
    ],
  },
  {
    file: `${rules}routers.yaml`,
    functions: ["pre", "post"],
    cases: [
      { name: "switch to big", body: { n: 50 }, status: 200 },
      { name: "switch to small", body: { n: 1 }, status: 200 },
      { name: "split, parallel and ensemble for another id", body: { n: 3 }, status: 200 },
    ],
  },
];

describe.each(suites)(
  "the same answers in-process, served and deployed: $file",
  ({ file, functions, cases }) => {
    let graph: ThreePlacements;
    beforeAll(async () => {
      graph = await threePlacements(file);
    }, 60_000);
    afterAll(() => graph?.close());

    it("runs every NuclioFunction `sluice deploy --dry-run` renders under the harness, one per function group", () => {
      expect(graph.functions.sort()).toEqual([...functions].sort());
    });

    it.each(cases.flatMap((c) => [0, 1].map((i) => ({ ...c, id: `${c.name}-${i}` }))))(
      "$name ($id)",
      async (c) => {
        const inProcess = await graph.invoke(c, c.id);
        expect(inProcess.status).toBe(c.status);
        const served = await graph.serve(c, c.id);
        if (c.answeredByGateway) expect(served.status).toBe(inProcess.status);
        else expect(served).toEqual(inProcess);
        const calls = graph.functionCalls();
        expect(await graph.deploy(c, c.id)).toEqual(served);
        // The deployed gateway really called the functions under the harness.
        if (!c.answeredByGateway) expect(graph.functionCalls()).toBeGreaterThan(calls);
      },
    );
  },
);
