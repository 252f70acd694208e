import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { type CompileOptions, type GraphEvent, loadGraphText, makeEvent } from "../../src/graph/index.js";
import { flow, graphFixtures, memoryLogger } from "../helpers/graphs.js";

// @ts-expect-error: a plain JavaScript fixture module
const fixtures = await import("../fixtures/graph/steps.mjs");

/** Compiles and starts an inline graph with compile options of the test's own. */
async function compiled(yaml: string, options: Partial<CompileOptions>) {
  const graph = await loadGraphText(yaml, join(graphFixtures, "inline.yaml"), {
    logger: memoryLogger(),
    ...options,
  });
  onTestFinished(() => graph.close());
  await graph.whenReady();
  return graph;
}

describe("compiling a graph", () => {
  it("binds a recorder to each step, told each run's time and outcome, sync or async", async () => {
    const runs: string[] = [];
    const observed: string[] = [];
    const graph = await compiled(
      flow(`
        now: {handler: ./steps.mjs#inc}
        later: {handler: ./steps.mjs#incLater, after: [now]}
        fails: {handler: ./steps.mjs#boom, after: [later], on_error: caught}
        caught: {kind: error, handler: ./steps.mjs#handled}
      `),
      {
        observeStep: (graphName, step) => {
          observed.push(`${graphName}/${step}`);
          return (seconds, ok) => {
            expect(seconds).toBeGreaterThanOrEqual(0);
            runs.push(`${step}:${ok}`);
          };
        },
      },
    );
    expect(observed).toEqual(["test/now", "test/later", "test/fails"]);
    await graph.invoke({ body: { n: 0 } });
    expect(runs).toEqual(["now:true", "later:true", "fails:false"]);

    const asyncFailure: string[] = [];
    const failing = await compiled(flow("late: {handler: ./steps.mjs#boomLater}"), {
      observeStep: () => (_seconds, ok) => asyncFailure.push(String(ok)),
    });
    await expect(failing.invoke({ body: {} })).rejects.toThrow("kaboom later");
    expect(asyncFailure).toEqual(["false"]);
  });

  it("hands a queue step's events to the broker's writer, and goes on only once the broker has them", async () => {
    const written: { body: unknown; id: string; stream: string; step: string }[] = [];
    let accept = () => {};
    const graph = await compiled(
      flow(`
        a: {handler: ./steps.mjs#inc}
        q: {kind: queue, stream: "kafka://audit", after: [a]}
        b: {handler: ./steps.mjs#remember, after: [q]}
      `),
      {
        queueWriter: (stream, _doc, step) => (body: unknown, event: GraphEvent) => {
          written.push({ body, id: event.id, stream, step });
          return new Promise<void>((resolve) => {
            accept = resolve;
          });
        },
      },
    );
    expect([...graph.streams.brokerQueues]).toEqual([["q", "kafka://audit"]]);
    let answered: unknown;
    const pending = graph.run({ ...makeEvent({ body: { n: 0 } }), id: "e-1" }).then((value) => {
      answered = value;
    });
    await expect.poll(() => written.length).toBe(1);
    expect(written).toEqual([{ body: { n: 1 }, id: "e-1", stream: "kafka://audit", step: "q" }]);
    expect(answered).toBeUndefined(); // the broker does not have it yet
    accept();
    await pending;
    expect(answered).toEqual({ n: 1 });
    expect(fixtures.seen).not.toContainEqual({ n: 1, queued: "e-1" }); // not run here
    // The steps behind the queue run where the stream is consumed, from the queue's output.
    await graph.runAfterQueue("q", makeEvent({ body: { n: 1, queued: "e-1" } }));
    expect(fixtures.seen).toContainEqual({ n: 1, queued: "e-1" });
    await expect(graph.runAfterQueue("a", makeEvent({ body: {} }))).rejects.toThrow(
      '"a" is not a queue step of graph "test"',
    );
  });

  it("keeps the in-process queue for a stream the writer factory has no writer for", async () => {
    fixtures.seen.length = 0;
    const graph = await compiled(
      flow(`
        a: {handler: ./steps.mjs#inc}
        q: {kind: queue, stream: "kafka://audit", after: [a]}
        b: {handler: ./steps.mjs#remember, after: [q]}
      `),
      { queueWriter: () => undefined },
    );
    expect([...graph.streams.brokerQueues]).toEqual([]);
    expect(await graph.invoke({ body: { n: 0 } })).toEqual({ n: 1 });
    await graph.drain();
    expect(fixtures.seen).toEqual([{ n: 1 }]);
  });
});
