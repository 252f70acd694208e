import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type GraphDocument, planTopology } from "../../src/graph/index.js";
import { flow } from "../helpers/graphs.js";

/** The topology and problems of an inline graph's steps (and spec fields in `extra`). */
function plan(steps: string, extra = "") {
  return planTopology(parse(flow(steps, extra)) as GraphDocument, "g.yaml");
}

/** Just the problems, as `pointer: message (step)`. */
function problems(steps: string, extra = ""): string[] {
  return plan(steps, extra).problems.map((p) => `${p.pointer}: ${p.message}${p.step ? ` (${p.step})` : ""}`);
}

describe("a graph's topology", () => {
  it("orders steps upstream first, and lists each step's downstream", () => {
    const { topology, problems: found } = plan(`
      c: {handler: x.mjs#c, after: [a, b]}
      b: {handler: x.mjs#b, after: [a]}
      a: {handler: x.mjs#a}
    `);
    expect(found).toEqual([]);
    expect(topology.order.map((s) => s.name)).toEqual(["a", "b", "c"]);
    expect(Object.fromEntries(topology.downstream)).toEqual({ a: ["c", "b"], b: ["c"], c: [] });
    expect(topology.responder).toBe("c");
    expect(topology.name).toBe("test");
  });

  it("makes a router graph one step named after the graph, at /spec/router", () => {
    const doc = parse(
      "apiVersion: sluice/v1\nkind: Graph\nmetadata: {name: models}\nspec:\n  topology: router\n  router: {routes: {a: {kind: model, class: m.mjs#M}}}\n",
    ) as GraphDocument;
    const { topology } = planTopology(doc, "g.yaml");
    expect(topology.order).toMatchObject([{ name: "models", kind: "router", at: "/spec/router" }]);
    const bare = planTopology(
      parse(
        "apiVersion: sluice/v1\nkind: Graph\nmetadata: {name: empty}\nspec:\n  topology: router\n",
      ) as GraphDocument,
      "g.yaml",
    );
    expect(bare.topology.order).toMatchObject([{ name: "empty", kind: "router", spec: { routes: {} } }]);
  });

  it("names what is wrong with after, before and on_error, where it is written", () => {
    expect(
      problems(
        `
        a: {handler: x.mjs#a, after: [ghost, h]}
        h: {kind: error, handler: x.mjs#h, after: [a], before: [nowhere]}
        b: {handler: x.mjs#b, after: [a], on_error: a}
        c: {handler: x.mjs#c, after: [b], on_error: missing}
      `,
        "on_error: missing-too",
      ),
    ).toEqual([
      '/spec/steps/a/after/0: unknown step "ghost" in after (known: a, b, c) (a)',
      '/spec/steps/a/after/1: "h" is an error handler; list it in on_error, not after (a)',
      "/spec/steps/h/after/0: an error handler runs on failures, it cannot have after (h)",
      '/spec/steps/h/before/0: unknown step "nowhere" in before (known: a, b, c) (h)',
      '/spec/steps/b/on_error: "a" is not a step of kind error (b)',
      '/spec/steps/c/on_error: unknown error handler "missing" (known: h) (c)',
      '/spec/on_error: unknown error handler "missing-too" (known: h)',
    ]);
    expect(problems("a: {handler: x.mjs#a, on_error: nobody}")).toEqual([
      '/spec/steps/a/on_error: unknown error handler "nobody" (a)',
    ]);
    // An unknown step beside a real one is that problem only (not a join across queues too).
    expect(problems("a: {handler: x.mjs#a}\nb: {handler: x.mjs#b, after: [ghost, a]}")).toEqual([
      '/spec/steps/b/after/0: unknown step "ghost" in after (known: a, b) (b)',
    ]);
    // A problem of the graph, not of a step, names none.
    const graphLevel = plan("a: {handler: x.mjs#a}", "on_error: nowhere").problems[0];
    expect(graphLevel && Object.hasOwn(graphLevel, "step")).toBe(false);
  });

  it("names a cycle in the direction events flow, at its first step, and still orders the rest", () => {
    const { topology, problems: found } = plan(`
      start: {handler: x.mjs#s}
      a: {handler: x.mjs#a, after: [start, c]}
      b: {handler: x.mjs#b, after: [a]}
      c: {handler: x.mjs#c, after: [b]}
      tail: {handler: x.mjs#t, after: [c]}
    `);
    expect(found.map((p) => `${p.pointer}: ${p.message} (${p.step})`)).toEqual([
      "/spec/steps/a/after: cycle: a → b → c → a (a)",
    ]);
    expect(topology.order.map((s) => s.name)).toEqual(["start"]);
    expect(problems("self: {handler: x.mjs#s, after: [self]}")).toEqual([
      "/spec/steps/self/after: cycle: self → self (self)",
    ]);
    // Found from a step behind it, the cycle is still named without that step.
    expect(
      problems(`
        behind: {handler: x.mjs#t, after: [c]}
        a: {handler: x.mjs#a, after: [c]}
        b: {handler: x.mjs#b, after: [a]}
        c: {handler: x.mjs#c, after: [b]}
      `),
    ).toEqual(["/spec/steps/c/after: cycle: c → a → b → c (c)"]);
  });

  it("serves HTTP unless every trigger is another kind", () => {
    const serves = (triggers: string) => plan("a: {handler: x.mjs#a}", triggers).topology.servesHttp;
    expect(serves("")).toBe(true);
    expect(serves("triggers: []")).toBe(true);
    expect(serves("triggers: [{kind: http}]")).toBe(true);
    expect(serves("triggers: [{kind: cron, interval: 1s}]")).toBe(false);
    expect(serves("triggers: [{kind: cron, interval: 1s}, {kind: http}]")).toBe(true);
  });

  it("answers from the single terminal step; several need a responder only when HTTP is served", () => {
    const two = "a: {handler: x.mjs#a}\nb: {handler: x.mjs#b}";
    expect(problems(two)).toEqual([
      "/spec/responder: several terminal steps (a, b) and no responder; set spec.responder to the step that answers HTTP callers",
    ]);
    expect(plan(two, "triggers: [{kind: cron, interval: 1s}]")).toMatchObject({
      problems: [],
      topology: { responder: undefined },
    });
    expect(plan(two, "responder: b").topology.responder).toBe("b");
    expect(plan("a: {handler: x.mjs#a}\nb: {handler: x.mjs#b, responder: true}").topology.responder).toBe(
      "b",
    );
    expect(problems(two, "responder: ghost")).toEqual([
      '/spec/responder: unknown step "ghost" as responder (known: a, b)',
    ]);
    expect(problems("a: {handler: x.mjs#a}\nb: {handler: x.mjs#b, responder: true}", "responder: a")).toEqual(
      ["/spec/responder: two responders: a and b; a graph answers once"],
    );
  });

  it("cuts the flow into segments at queue steps, the queue answering the caller's segment", () => {
    const { topology, problems: found } = plan(`
      a: {handler: x.mjs#a}
      q1: {kind: queue, stream: "kafka://one", after: [a]}
      b: {handler: x.mjs#b, after: [q1]}
      q2: {kind: queue, stream: "kafka://two", after: [b]}
      c: {handler: x.mjs#c, after: [q2]}
    `);
    expect(found).toEqual([]);
    expect(Object.fromEntries(topology.segmentOf)).toEqual({ a: 0, q1: 0, b: 1, q2: 1, c: 2 });
    expect(topology.responder).toBe("q1");
  });

  it("refuses a join across a queue, and a responder behind one when HTTP is served", () => {
    expect(
      problems(
        `
        a: {handler: x.mjs#a}
        q: {kind: queue, stream: "kafka://one", after: [a]}
        b: {handler: x.mjs#b, after: [q, a]}
      `,
        "responder: q",
      ),
    ).toEqual(["/spec/steps/b/after: a step cannot join branches from both sides of a queue step (b)"]);
    const behind = `
      a: {handler: x.mjs#a}
      q: {kind: queue, stream: "kafka://one", after: [a]}
      b: {handler: x.mjs#b, after: [q]}
    `;
    expect(problems(behind, "responder: b")).toEqual([
      "/spec/steps/b: the responder runs behind a queue step; it must answer before the queue (b)",
    ]);
    expect(problems(behind, "responder: b\ntriggers: [{kind: cron, interval: 1s}]")).toEqual([]);
  });
});
