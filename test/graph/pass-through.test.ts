import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type GraphDocument, planTopology } from "../../src/graph/index.js";
import { planPassThrough } from "../../src/graph/pass-through.js";
import { flow } from "../helpers/graphs.js";

/** Where the graph of these steps passes JSON through: the request, and which steps' answers. */
function passes(steps: string): { request: boolean; answers: string[] } {
  const { topology } = planTopology(parse(flow(steps)) as GraphDocument, "g.yaml");
  const plan = planPassThrough(topology);
  return { request: plan.request, answers: [...plan.answers] };
}

const remote = 'kind: remote, url: "http://up:8080/"';

describe("where a graph passes JSON through unparsed", () => {
  it("passes both ways through a graph of one remote step", () => {
    expect(passes(`call: {${remote}}`)).toEqual({ request: true, answers: ["call"] });
  });

  it("passes the request to a first remote step, and the answer of a last one, but not what a step reads", () => {
    expect(
      passes(`
        call: {${remote}}
        read: {handler: "builtin:echo", after: [call]}
      `),
    ).toEqual({ request: true, answers: [] });
    expect(
      passes(`
        read: {handler: "builtin:echo"}
        call: {${remote}, after: [read]}
      `),
    ).toEqual({ request: false, answers: ["call"] });
  });

  it("parses a request that a remote step reads a part of, or that places its answer into the body", () => {
    expect(passes(`call: {${remote}, input_path: inputs}`)).toEqual({ request: false, answers: ["call"] });
    expect(passes(`call: {${remote}, full_event: true}`)).toEqual({ request: false, answers: ["call"] });
    expect(passes(`call: {${remote}, result_path: scored}`)).toEqual({ request: false, answers: [] });
  });

  it("parses a request that two first steps share", () => {
    expect(
      passes(`
        call: {${remote}}
        other: {handler: "builtin:echo"}
      `),
    ).toEqual({ request: false, answers: ["call"] });
  });

  it("parses for a step placed in Nuclio, whose function reads the body", () => {
    expect(passes(`task: {handler: "m.py#f", placement: nuclio}`)).toEqual({ request: false, answers: [] });
  });
});
