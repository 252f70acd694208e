import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { parse } from "yaml";
import {
  type CompileOptions,
  compileDocument,
  defaultLogger,
  type GraphDocument,
  type GraphEvent,
  GraphInvalidError,
  loadGraph,
  loadGraphText,
  makeEvent,
} from "../../src/graph/index.js";
import { flow, graphFixtures, memoryLogger } from "../helpers/graphs.js";

// @ts-expect-error: a plain JavaScript fixture module
const fixtures = await import("../fixtures/graph/steps.mjs");
// @ts-expect-error: a plain JavaScript fixture module
const edge = await import("../fixtures/graph/edge-steps.mjs");

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
    const times: number[] = [];
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
            times.push(seconds);
          };
        },
      },
    );
    expect(observed).toEqual(["test/now", "test/later", "test/fails"]);
    const started = performance.now();
    await graph.invoke({ body: { n: 0 } });
    const elapsed = (performance.now() - started) / 1000;
    expect(runs).toEqual(["now:true", "later:true", "fails:false"]);
    // Each step's time, in seconds, lies within the whole call's.
    for (const s of times) expect(s).toBeLessThanOrEqual(elapsed);

    // Seconds, measured from the step's start: a step busy for 2 ms reports 0.002 s or more.
    const seconds: number[] = [];
    const timed = await compiled(
      flow(
        `
        ok: {handler: ./edge-steps.mjs#spin}
        bad: {handler: ./edge-steps.mjs#spin, after: [ok], input_path: fails}
        later: {handler: ./edge-steps.mjs#failLater, after: [ok]}
      `,
        "responder: bad",
      ),
      { observeStep: () => (s) => seconds.push(s) },
    );
    const run = timed
      .invoke({ body: { spinMs: 2, fails: { fail: true, spinMs: 2 }, failGate: "rec" } })
      .catch(() => "failed");
    await expect.poll(() => edge.gates.has("rec/later")).toBe(true);
    edge.gates.get("rec/later")();
    expect(await run).toBe("failed");
    await expect.poll(() => seconds.length).toBe(3);
    for (const s of seconds) {
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThan(60); // seconds, not milliseconds
    }
    expect(seconds.slice(0, 2).every((s) => s >= 0.002)).toBe(true);

    const asyncFailure: [number, boolean][] = [];
    const failing = await compiled(flow("late: {handler: ./steps.mjs#boomLater}"), {
      observeStep: () => (s, ok) => asyncFailure.push([s, ok]),
    });
    const failingStarted = performance.now();
    await expect(failing.invoke({ body: {} })).rejects.toThrow("kaboom later");
    const failingElapsed = (performance.now() - failingStarted) / 1000;
    expect(asyncFailure).toEqual([[expect.any(Number), false]]);
    expect(asyncFailure[0]?.[0]).toBeLessThanOrEqual(failingElapsed);
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

  it("runs the steps behind an in-process queue with the caller's event, its body the queue's output, no deadline", async () => {
    fixtures.seen.length = 0;
    const graph = await compiled(
      flow(`
        a: {handler: ./steps.mjs#inc}
        q: {kind: queue, after: [a]}
        seen: {handler: ./edge-steps.mjs#eventSeen, full_event: true, after: [q]}
        keep: {handler: ./steps.mjs#remember, after: [seen]}
      `),
      {},
    );
    await graph.run({ ...makeEvent({ body: { n: 0 } }), id: "queued-1", deadline: Date.now() + 60_000 });
    await graph.drain();
    expect(fixtures.seen).toEqual([{ id: "queued-1", body: { n: 1 }, deadline: "none" }]);
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

  it("keeps the in-process queue for a queue step without a stream, writer factory or not", async () => {
    let asked = 0;
    const graph = await compiled(
      flow(`
        a: {handler: ./steps.mjs#inc}
        q: {kind: queue, after: [a]}
        b: {handler: ./steps.mjs#inc, after: [q]}
      `),
      {
        queueWriter: () => {
          asked++;
          return async () => {};
        },
      },
    );
    expect(asked).toBe(0);
    expect([...graph.streams.brokerQueues]).toEqual([]);
    expect(await graph.invoke({ body: { n: 0 } })).toEqual({ n: 1 });
  });

  it("logs to the logger it is given, else to stderr at SLUICE_LOG_LEVEL (info by default)", async () => {
    const logger = memoryLogger();
    const graph = await loadGraphText(
      flow("say: {handler: builtin:log, args: {message: hello}}"),
      join(graphFixtures, "inline.yaml"),
      { logger },
    );
    onTestFinished(() => graph.close());
    await graph.invoke({ body: {} });
    expect(logger.lines.some((line) => line.msg === "hello")).toBe(true);
    const saved = process.env.SLUICE_LOG_LEVEL;
    onTestFinished(() => {
      if (saved === undefined) delete process.env.SLUICE_LOG_LEVEL;
      else process.env.SLUICE_LOG_LEVEL = saved;
    });
    process.env.SLUICE_LOG_LEVEL = "warn";
    expect((defaultLogger() as { level?: string }).level).toBe("warn");
    delete process.env.SLUICE_LOG_LEVEL;
    expect((defaultLogger() as { level?: string }).level).toBe("info");
  });

  it("loads step modules from the working directory by default, wherever the graph file is", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sluice-roots-"));
    const file = join(dir, "graph.yaml");
    const module = join(graphFixtures, "steps.mjs"); // under the working directory (the repository)
    await writeFile(file, flow(`a: {handler: "${module}#inc"}`));
    const graph = await loadGraph(file, { logger: memoryLogger() });
    onTestFinished(() => graph.close());
    await graph.whenReady();
    expect(await graph.invoke({ body: { n: 1 } })).toEqual({ n: 2 });
    await expect(loadGraph(file, { logger: memoryLogger(), moduleRoots: [dir] })).rejects.toThrow(
      GraphInvalidError,
    );
  });

  it("reports every problem of a document at once, each with its step, and a line where it knows one", async () => {
    const doc = parse(
      flow(
        `
        a: {handler: ./steps.mjs#inc, after: [ghost]}
        b: {handler: ./steps.mjs#inc, on_error: nobody}
      `,
        "on_error: nowhere",
      ),
    ) as GraphDocument;
    const error = await compileDocument(doc, {
      file: join(graphFixtures, "inline.yaml"),
      logger: memoryLogger(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphInvalidError);
    expect((error as GraphInvalidError).problems).toEqual([
      expect.objectContaining({ pointer: "/spec/steps/a/after/0", step: "a", line: undefined }),
      expect.objectContaining({ pointer: "/spec/steps/b/on_error", step: "b", line: undefined }),
      expect.objectContaining({ pointer: "/spec/on_error", step: undefined, line: undefined }),
      expect.objectContaining({
        pointer: "/spec/responder",
        message: expect.stringMatching(/^several terminal steps/),
      }),
    ]);
  });

  it("sends a failure to no handler when its step names none, however many the graph has", async () => {
    const graph = await compiled(
      flow(`
        a: {handler: ./steps.mjs#boom}
        h1: {kind: error, handler: ./steps.mjs#handled}
        h2: {kind: error, handler: ./steps.mjs#handled}
      `),
      {},
    );
    await expect(graph.invoke({ body: {} })).rejects.toThrow("kaboom");
  });

  it("answers nothing when the graph has no responder (it serves no HTTP)", async () => {
    const graph = await compiled(
      flow(
        `
        a: {handler: ./steps.mjs#inc}
        b: {handler: ./steps.mjs#inc}
      `,
        "triggers: [{kind: cron, interval: 1h}]",
      ),
      {},
    );
    expect(graph.topology.responder).toBeUndefined();
    expect(await graph.invoke({ body: { n: 0 } })).toBeUndefined();
  });

  it("starts and closes error handlers that have a lifecycle", async () => {
    edge.LifecycleHandler.events.length = 0;
    const graph = await loadGraphText(
      flow(`
        a: {handler: ./steps.mjs#boom, on_error: h}
        h: {kind: error, class: ./edge-steps.mjs#LifecycleHandler}
      `),
      join(graphFixtures, "inline.yaml"),
      { logger: memoryLogger() },
    );
    await graph.whenReady();
    expect(await graph.invoke({ body: { x: 1 } })).toEqual({ caught: "a", input: { x: 1 } });
    await graph.close();
    expect(edge.LifecycleHandler.events).toEqual(["init", "close"]);
  });
});
