import { describe, expect, it } from "vitest";
import { makeEvent, StepError } from "../../src/graph/index.js";
import { flow, graphOf } from "../helpers/graphs.js";

// @ts-expect-error: a plain JavaScript fixture module
const edge = await import("../fixtures/graph/edge-steps.mjs");

/** Opens the gate a waiting step named, once it is waiting. */
async function open(gate: string): Promise<void> {
  await expect.poll(() => edge.gates.has(gate)).toBe(true);
  edge.gates.get(gate)();
  edge.gates.delete(gate);
  // Let the step's promise and the walk's callbacks run.
  await new Promise((resolve) => setImmediate(resolve));
}

/** What `note` saw of this test's own events (marked by `mark`). */
const notedOf = (mark: string) => (edge.noted as { mark?: string }[]).filter((n) => n?.mark === mark);

/** The failure of a run, as the StepError's info. */
async function failure(run: Promise<unknown>) {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StepError);
  return (error as StepError).info;
}

describe("the executor, at its edges", () => {
  it("awaits what a step returns when it is a thenable, an object's then or a function's, and answers null as null", async () => {
    const object = await graphOf(flow("t: {handler: ./edge-steps.mjs#thenableObject}"));
    expect(await object.invoke({ body: { n: 1 } })).toEqual({ n: 1, via: "an object's then" });
    const fn = await graphOf(flow("t: {handler: ./edge-steps.mjs#thenableFunction}"));
    expect(await fn.invoke({ body: { n: 2 } })).toEqual({ n: 2, via: "a function's then" });
    const none = await graphOf(flow("t: {handler: ./edge-steps.mjs#nothing}"));
    expect(await none.invoke({ body: {} })).toBeNull();
    expect(none.execute(makeEvent({ body: {} }))).toBeNull(); // answered in the same tick
  });

  it("hands the next step what a thenable step resolved to, a function's then included", async () => {
    const graph = await graphOf(
      flow(`
        t: {handler: ./edge-steps.mjs#thenableFunction}
        after: {handler: ./edge-steps.mjs#note, after: [t]}
      `),
    );
    expect(await graph.invoke({ body: { mark: "resolved first" } })).toEqual({
      mark: "resolved first",
      via: "a function's then",
    });
    expect(notedOf("resolved first")).toEqual([{ mark: "resolved first", via: "a function's then" }]);
  });

  it("goes on from a step that returns nothing, handing the next step nothing, in the same tick", async () => {
    const graph = await graphOf(
      flow(`
        silent: {handler: ./edge-steps.mjs#returnsNothing}
        next: {handler: ./edge-steps.mjs#whatWasHanded, after: [silent]}
      `),
    );
    expect(graph.execute(makeEvent({ body: { n: 1 } }))).toEqual({ handed: "nothing" });
    const alone = await graphOf(flow("silent: {handler: ./edge-steps.mjs#returnsNothing}"));
    expect(await alone.invoke({ body: { n: 1 } })).toBeUndefined();
  });

  it("answers nothing when a filter drops the event before the responder, and runs nothing behind it", async () => {
    const graph = await graphOf(
      flow(`
        gate: {handler: ./edge-steps.mjs#drop}
        after: {handler: ./edge-steps.mjs#note, after: [gate]}
      `),
    );
    const before = edge.noted.length;
    expect(await graph.invoke({ body: { mark: "dropped" } })).toBeUndefined();
    expect(edge.noted.length).toBe(before);
  });

  it("answers nothing when the responder itself drops the event", async () => {
    const graph = await graphOf(flow("gate: {handler: ./edge-steps.mjs#drop}"));
    expect(await graph.invoke({ body: {} })).toBeUndefined();
  });

  it("runs the steps behind a queue afresh for each event read back, joins included", async () => {
    const graph = await graphOf(
      flow(`
        q: {kind: queue, stream: "kafka://audit"}
        l: {handler: ./steps.mjs#identity, after: [q]}
        r: {handler: ./steps.mjs#identity, after: [q]}
        both: {handler: ./edge-steps.mjs#note, after: [l, r]}
      `),
    );
    for (const n of [1, 2, 3]) {
      await graph.runAfterQueue("q", makeEvent({ body: { mark: "segment", n } }));
    }
    expect(notedOf("segment").length).toBe(0); // the join's input is {l, r}
    const joined = (edge.noted as { l?: { mark?: string; n?: number } }[]).filter(
      (x) => x?.l?.mark === "segment",
    );
    expect(joined.map((x) => x.l?.n)).toEqual([1, 2, 3]);
  });

  it("stops the walk at the first failure: a branch that finishes later runs nothing more", async () => {
    const graph = await graphOf(
      flow(
        `
        fails: {handler: ./steps.mjs#boom}
        slow: {handler: ./edge-steps.mjs#waitFor}
        after: {handler: ./edge-steps.mjs#note, after: [slow]}
      `,
        "responder: after",
      ),
    );
    const run = graph.invoke({ body: { mark: "stopped", gate: "stopped" } });
    expect(await failure(run)).toMatchObject({ step: "fails", code: "BOOM" });
    await open("stopped");
    expect(notedOf("stopped")).toEqual([]);
  });

  it("answers the first failure of a walk, not a later one", async () => {
    const graph = await graphOf(
      flow(
        `
        first: {handler: ./steps.mjs#boom}
        second: {handler: ./edge-steps.mjs#handlerThrows}
      `,
        "responder: first",
      ),
    );
    expect(() => graph.execute(makeEvent({ body: {} }))).toThrow(
      expect.objectContaining({ info: expect.objectContaining({ step: "first" }) }),
    );
  });

  it("runs no error handler for a failure that comes after the walk already failed", async () => {
    const graph = await graphOf(
      flow(
        `
        fails: {handler: ./steps.mjs#boom}
        late: {handler: ./edge-steps.mjs#failLater, on_error: h}
        h: {kind: error, handler: ./edge-steps.mjs#note}
      `,
        "responder: late",
      ),
    );
    const run = graph.invoke({ body: { mark: "late-failure", failGate: "lf" } });
    expect(await failure(run)).toMatchObject({ step: "fails" });
    await open("lf/late");
    expect(notedOf("late-failure")).toEqual([]);
  });

  it("runs nothing behind an error handler that finishes after the walk already failed", async () => {
    const graph = await graphOf(
      flow(
        `
        handledFirst: {handler: ./edge-steps.mjs#failLater, on_error: h}
        h: {kind: error, handler: ./edge-steps.mjs#handlerWaits, before: [next]}
        next: {handler: ./edge-steps.mjs#note, after: [handledFirst]}
        fails: {handler: ./edge-steps.mjs#failLater}
      `,
        "responder: next",
      ),
    );
    const failed = failure(
      graph.invoke({ body: { mark: "handled-late", failGate: "hl", handlerGate: "hl/handler" } }),
    );
    await open("hl/handledFirst"); // fails: its handler starts, and waits
    await open("hl/fails"); // fails without a handler: the walk fails here
    expect(await failed).toMatchObject({ step: "fails" });
    await open("hl/handler");
    expect(edge.noted).not.toContainEqual({ late: "handledFirst" });
  });

  it("answers an error handler's value, awaited when it is async, named after the handler when it fails", async () => {
    const later = await graphOf(
      flow(`
        a: {handler: ./steps.mjs#boom, on_error: h}
        h: {kind: error, handler: ./edge-steps.mjs#handledLater}
      `),
    );
    expect(await later.invoke({ body: { x: 1 } })).toEqual({ handledLater: "a", input: { x: 1 } });
    for (const [handler, message] of [
      ["handlerThrows", "the handler broke"],
      ["handlerRejects", "the handler broke later"],
    ]) {
      const graph = await graphOf(
        flow(`
          a: {handler: ./steps.mjs#boom, on_error: h}
          h: {kind: error, handler: ./edge-steps.mjs#${handler}}
        `),
      );
      expect(await failure(graph.invoke({ body: {} }))).toMatchObject({ step: "h", message });
    }
  });

  it("awaits an error handler's thenable answer, a function's then included", async () => {
    const graph = await graphOf(
      flow(`
        a: {handler: ./steps.mjs#boom, on_error: h}
        h: {kind: error, handler: ./edge-steps.mjs#thenableFunctionHandler}
      `),
    );
    expect(await graph.invoke({ body: { x: 1 } })).toEqual({
      handledBy: "a function's then",
      step: "a",
      input: { x: 1 },
    });
  });

  it("answers nothing when an error handler drops the event, and goes on from nothing", async () => {
    const answering = await graphOf(
      flow(`
        a: {handler: ./steps.mjs#boom, on_error: h}
        h: {kind: error, handler: ./edge-steps.mjs#dropHandler}
      `),
    );
    expect(await answering.invoke({ body: {} })).toBeUndefined();
    const continuing = await graphOf(
      flow(
        `
        a: {handler: ./steps.mjs#boom, on_error: h}
        h: {kind: error, handler: ./edge-steps.mjs#dropHandler, before: [next]}
        next: {handler: ./edge-steps.mjs#note, after: [a]}
      `,
      ),
    );
    const before = edge.noted.length;
    expect(await continuing.invoke({ body: { mark: "handler-dropped" } })).toBeUndefined();
    expect(edge.noted.length).toBe(before);
  });

  it("keeps an error handler's answer when the responder finishes after it", async () => {
    const graph = await graphOf(
      flow(
        `
        a: {handler: ./steps.mjs#boom, on_error: h}
        h: {kind: error, handler: ./steps.mjs#handled}
        slow: {handler: ./edge-steps.mjs#waitFor}
      `,
        "responder: slow",
      ),
    );
    const run = graph.invoke({ body: { gate: "responder-late" } });
    await open("responder-late");
    expect(await run).toMatchObject({ handled: { step: "a", code: "BOOM" } });
  });
});
