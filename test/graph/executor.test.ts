import { describe, expect, it } from "vitest";
import { makeEvent, StepError } from "../../src/graph/index.js";
import { flow, graphOf } from "../helpers/graphs.js";

// @ts-expect-error: a plain JavaScript fixture module
const fixtures = await import("../fixtures/graph/steps.mjs");

describe("task steps", () => {
  it("run handler functions in a chain, sync and async alike", async () => {
    const graph = await graphOf(
      flow(`
        a: {handler: ./steps.mjs#inc}
        b: {handler: ./steps.mjs#incLater, after: [a]}
        c: {handler: ./steps.mjs#inc, after: [b]}
      `),
    );
    expect(await graph.invoke({ body: { n: 0 } })).toEqual({ n: 3 });
  });

  it("construct classes once with their args, init them before serving, and close them", async () => {
    const graph = await graphOf(flow(`count: {class: ./steps.mjs#Counter, args: {by: 7}}`));
    const counter = fixtures.Counter.instances.at(-1);
    expect(counter.inits).toBe(1);
    expect(await graph.invoke({ body: {} })).toEqual({ by: 7, count: 1 });
    expect(await graph.invoke({ body: {} })).toEqual({ by: 7, count: 2 });
    await graph.close();
    expect(counter.closes).toBe(1);
  });

  it("answer an all-sync graph at once, and an async one with a promise (execute)", async () => {
    const sync = await graphOf(
      flow(`a: {handler: ./steps.mjs#inc}\nb: {handler: ./steps.mjs#inc, after: [a]}`),
    );
    const async = await graphOf(
      flow(`a: {handler: ./steps.mjs#inc}\nb: {handler: ./steps.mjs#incLater, after: [a]}`),
    );
    const failing = await graphOf(flow(`a: {handler: ./steps.mjs#boom}`));
    const event = (body: unknown) => makeEvent({ body });

    expect(sync.execute(event({ n: 0 }))).toEqual({ n: 2 });
    const later = async.execute(event({ n: 0 }));
    expect(later).toBeInstanceOf(Promise);
    expect(await later).toEqual({ n: 2 });
    expect(() => failing.execute(event({}))).toThrow(StepError);
    await expect(failing.run(event({}))).rejects.toThrow(StepError);
  });

  it("load TypeScript step modules without a build step", async () => {
    const graph = await graphOf(flow(`total: {handler: ./typed.ts#total}`));
    expect(await graph.invoke({ body: { qty: 3, price: 2.5 } })).toEqual({ total: 7.5 });
  });
});

describe("joins and branches", () => {
  it("run a step with several upstreams once, with every upstream's output by name", async () => {
    const graph = await graphOf(
      flow(`
        start: {handler: ./steps.mjs#identity}
        a: {handler: ./steps.mjs#double, after: [start]}
        b: {handler: ./steps.mjs#identity, after: [start]}
        join: {handler: ./steps.mjs#identity, after: [a, b]}
      `),
    );
    expect(await graph.invoke({ body: 21 })).toEqual({ a: 42, b: 21 });
  });

  it("run a join once per event, however its upstreams finish (sync, async, later)", async () => {
    const graph = await graphOf(
      flow(`
        start: {handler: ./steps.mjs#identity}
        now: {handler: ./steps.mjs#inc, after: [start]}
        soon: {handler: ./steps.mjs#incLater, after: [start]}
        later: {class: ./steps.mjs#Recorder, args: {async: true}, after: [start]}
        join: {handler: ./steps.mjs#remember, after: [now, soon, later]}
      `),
    );
    const runsOf = (id: string) =>
      (fixtures.seen as { now?: { id?: string } }[]).filter((s) => s?.now?.id === id);
    for (const id of ["j1", "j2", "j3"]) {
      await graph.invoke({ body: { id, n: 1, event: id } });
      expect(runsOf(id)).toEqual([
        { now: { id, n: 2, event: id }, soon: { id, n: 2, event: id }, later: { event: id, from: "later" } },
      ]);
    }
  });

  it("run branches without a path between them concurrently", async () => {
    fixtures.calls.length = 0;
    const graph = await graphOf(
      flow(`
        l: {handler: ./steps.mjs#left}
        r: {handler: ./steps.mjs#right}
        both: {handler: ./steps.mjs#joinKeys, after: [l, r]}
      `),
    );
    expect(await graph.invoke({ body: {} })).toEqual(["l", "r"]);
    // Both branches started before either ended.
    expect(fixtures.calls.slice(0, 2).sort()).toEqual(["left:start", "right:start"]);
  });
});

describe("input_path, result_path and full_event", () => {
  it("read the step's input from input_path and write its result to result_path", async () => {
    const graph = await graphOf(
      flow(`twice: {handler: ./steps.mjs#double, input_path: order.qty, result_path: order.doubled}`),
    );
    const body = { order: { qty: 4 }, keep: true };
    expect(await graph.invoke({ body })).toEqual({ order: { qty: 4, doubled: 8 }, keep: true });
    expect(body).toEqual({ order: { qty: 4 }, keep: true }); // the caller's object is not mutated
  });

  it("replace the body with the result when there is no result_path", async () => {
    const graph = await graphOf(flow(`twice: {handler: ./steps.mjs#double, input_path: qty}`));
    expect(await graph.invoke({ body: { qty: 4 } })).toBe(8);
  });

  it("hand full_event steps the whole event", async () => {
    const graph = await graphOf(flow(`whole: {handler: ./steps.mjs#whole, full_event: true}`));
    const result = await graph.invoke({
      id: "e1",
      body: { x: 1 },
      path: "/p",
      method: "PUT",
      headers: { "x-test": "h" },
    });
    expect(result).toEqual({ id: "e1", path: "/p", method: "PUT", header: "h", body: { x: 1 } });
  });

  it("take the body of the event a full_event step returns", async () => {
    const graph = await graphOf(flow(`touch: {handler: ./steps.mjs#touchEvent, full_event: true}`));
    expect(await graph.invoke({ body: { x: 1 } })).toEqual({ touched: true });
  });
});

describe("the responder", () => {
  it("answers with the responder's output, not the last step's", async () => {
    const graph = await graphOf(
      flow(
        `
        a: {handler: ./steps.mjs#inc}
        b: {handler: ./steps.mjs#inc, after: [a]}
        c: {handler: ./steps.mjs#inc, after: [b]}
        `,
        "responder: a",
      ),
    );
    expect(await graph.invoke({ body: { n: 0 } })).toEqual({ n: 1 });
  });

  it("accepts MLRun's per-step responder flag", async () => {
    const graph = await graphOf(
      flow(`
        a: {handler: ./steps.mjs#inc, responder: true}
        b: {handler: ./steps.mjs#inc, after: [a]}
      `),
    );
    expect(await graph.invoke({ body: { n: 0 } })).toEqual({ n: 1 });
  });

  it("answers with the single terminal step when there is no responder", async () => {
    const graph = await graphOf(
      flow(`
        a: {handler: ./steps.mjs#inc}
        b: {handler: ./steps.mjs#inc, after: [a]}
      `),
    );
    expect(await graph.invoke({ body: { n: 0 } })).toEqual({ n: 2 });
  });
});

describe("errors", () => {
  it("give the caller an error naming the failed step when nothing handles it", async () => {
    const graph = await graphOf(
      flow(`
        a: {handler: ./steps.mjs#inc}
        b: {handler: ./steps.mjs#boom, after: [a]}
      `),
    );
    const error = await graph.invoke({ body: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepError);
    expect((error as StepError).message).toBe('step "b" failed: kaboom');
    expect((error as StepError).info).toEqual({ step: "b", code: "BOOM", message: "kaboom", status: 500 });
  });

  it("send a failure to the step's on_error handler, whose output continues into its before steps", async () => {
    const graph = await graphOf(
      flow(`
        a: {handler: ./steps.mjs#inc}
        b: {handler: ./steps.mjs#boomLater, after: [a], on_error: fix}
        c: {handler: ./steps.mjs#inc, after: [b]}
        fix: {kind: error, handler: ./steps.mjs#recovered, before: [c]}
      `),
    );
    expect(await graph.invoke({ body: { n: 0 } })).toEqual({ n: 2, recoveredFrom: "b" });
  });

  it("make the graph-level handler's output the response, with the error's step, code and message", async () => {
    const graph = await graphOf(
      flow(
        `
        a: {handler: ./steps.mjs#boom}
        h: {kind: error, handler: ./steps.mjs#handled}
        `,
        "on_error: h",
      ),
    );
    expect(await graph.invoke({ body: { x: 1 } })).toEqual({
      handled: { step: "a", code: "BOOM", message: "kaboom", status: 500 },
      input: { x: 1 },
    });
  });

  it("prefer a step's own handler over the graph's", async () => {
    const graph = await graphOf(
      flow(
        `
        a: {handler: ./steps.mjs#boom, on_error: mine}
        mine: {kind: error, handler: ./steps.mjs#recovered}
        graphwide: {kind: error, handler: ./steps.mjs#handled}
        `,
        "on_error: graphwide",
      ),
    );
    expect(await graph.invoke({ body: { x: 1 } })).toEqual({ x: 1, recoveredFrom: "a" });
  });

  it("fail a step that passes its timeout with code TIMEOUT (HTTP 504)", async () => {
    const graph = await graphOf(flow(`slow: {handler: ./steps.mjs#hang, timeout: 30ms}`));
    const error = (await graph.invoke({ body: {} }).catch((e: unknown) => e)) as StepError;
    expect(error.info).toEqual({
      step: "slow",
      code: "TIMEOUT",
      message: "timed out after 30 ms",
      status: 504,
    });
  });

  it("hand a timeout to the error handler like any other failure", async () => {
    const graph = await graphOf(
      flow(`
        slow: {handler: ./steps.mjs#hang, timeout: 20ms, on_error: h}
        h: {kind: error, handler: ./steps.mjs#handled}
      `),
    );
    expect(await graph.invoke({ body: 1 })).toMatchObject({ handled: { step: "slow", code: "TIMEOUT" } });
  });
});

describe("queue steps without a broker", () => {
  it("answer the caller at the queue and run the steps behind it from an in-process queue", async () => {
    fixtures.seen.length = 0;
    const graph = await graphOf(
      flow(`
        a: {handler: ./steps.mjs#inc}
        q: {kind: queue, stream: "kafka://audit", after: [a]}
        b: {handler: ./steps.mjs#inc, after: [q]}
        c: {handler: ./steps.mjs#remember, after: [b]}
      `),
    );
    expect(await graph.invoke({ body: { n: 0 } })).toEqual({ n: 1 });
    await graph.drain();
    expect(fixtures.seen).toEqual([{ n: 2 }]);
  });
});
