import { join } from "node:path";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { type CompiledGraph, loadGraphText, makeEvent, StepError } from "../../src/graph/index.js";
import { type BreakerState, Bulkhead, backoffMs } from "../../src/graph/resilience/index.js";
import { flow, graphFixtures, graphOf, memoryLogger } from "../helpers/graphs.js";
import { echo, slow, startUpstream, status } from "../helpers/upstream.js";

/** The StepError info of a failed run, or the value of a successful one. */
async function outcome(graph: CompiledGraph, body: unknown = {}, deadline?: number) {
  try {
    return { value: await graph.run({ ...makeEvent({ body }), deadline }) };
  } catch (error) {
    if (!(error instanceof StepError)) throw error;
    return { error: error.info };
  }
}

/** A started graph whose breaker states are recorded, as the gateway's gauge sees them. */
async function observedGraph(yaml: string) {
  const states: BreakerState[] = [];
  const graph = await loadGraphText(yaml, join(graphFixtures, "inline.yaml"), {
    logger: memoryLogger(),
    observeBreaker: () => (state) => states.push(state),
  });
  onTestFinished(() => graph.close());
  await graph.whenReady();
  return { graph, states };
}

type Target = { target: string; breaker: { state: string } | null; bulkhead: Record<string, number> | null };
const targetOf = (graph: CompiledGraph) => (graph.describe().targets as Target[])[0] as Target;

describe("circuit breakers", () => {
  const breaker = "breaker: {volumeThreshold: 4, errorThresholdPercentage: 50, resetTimeout: 400ms}";

  it("open after the threshold, fail fast without calling the target, then half-open and close", async () => {
    const up = await startUpstream(status(500));
    const { graph, states } = await observedGraph(
      flow(`call: {kind: remote, url: "${up.url}/", ${breaker}}`),
    );
    for (let i = 0; i < 4; i++) expect((await outcome(graph)).error).toMatchObject({ code: "REMOTE_FAILED" });
    expect(targetOf(graph).breaker?.state).toBe("open");
    expect(graph.describe().steps).toMatchObject([{ name: "call", breaker: "open" }]);

    for (let i = 0; i < 50; i++) {
      expect((await outcome(graph)).error).toMatchObject({ step: "call", code: "CIRCUIT_OPEN", status: 503 });
    }
    expect(up.requests).toBe(4); // open: the target was spared every one of those 50

    up.behave(echo);
    // After resetTimeout the breaker lets a probe through (half-open).
    await vi.waitFor(() => expect(targetOf(graph).breaker?.state).toBe("half-open"));
    expect((await outcome(graph, { back: true })).value).toEqual({ back: true });
    expect(targetOf(graph).breaker?.state).toBe("closed");
    expect((await outcome(graph, { again: 1 })).value).toEqual({ again: 1 });
    expect(up.requests).toBe(6);
    expect(states).toEqual(["closed", "open", "half-open", "closed"]);
  });

  it("reopen when the half-open probe fails, and let only one probe through", async () => {
    const up = await startUpstream(status(503));
    const graph = await graphOf(flow(`call: {kind: remote, url: "${up.url}/", ${breaker}}`));
    for (let i = 0; i < 4; i++) await outcome(graph);
    await vi.waitFor(() => expect(targetOf(graph).breaker?.state).toBe("half-open"));
    expect((await outcome(graph)).error).toMatchObject({ code: "REMOTE_FAILED" });
    expect(targetOf(graph).breaker?.state).toBe("open");
    expect(up.requests).toBe(5);

    up.behave(slow(100));
    await vi.waitFor(() => expect(targetOf(graph).breaker?.state).toBe("half-open"));
    const burst = await Promise.all(Array.from({ length: 5 }, (_, i) => outcome(graph, { i })));
    expect(burst.filter((r) => "value" in r)).toHaveLength(1);
    expect(burst.filter((r) => r.error?.code === "CIRCUIT_OPEN")).toHaveLength(4);
    expect(up.requests).toBe(6);
  });

  it("open when more than errorThresholdPercentage of the calls failed, not at exactly that share", async () => {
    // Succeeds for {ok: true}, fails (500, not retried) otherwise.
    const up = await startUpstream((req, res, body) =>
      (JSON.parse(body.toString()) as { ok: boolean }).ok
        ? echo(req, res, body)
        : status(500)(req, res, body),
    );
    const graph = await graphOf(
      flow(
        `call: {kind: remote, url: "${up.url}/", breaker: {volumeThreshold: 5, errorThresholdPercentage: 60, resetTimeout: 10s}}`,
      ),
    );
    for (const ok of [true, false, true, false, false]) await outcome(graph, { ok });
    // 3 failures in 5 calls: 60%, which is not more than 60%.
    expect(targetOf(graph).breaker?.state).toBe("closed");
    expect((await outcome(graph, { ok: true })).value).toEqual({ ok: true });
    expect(targetOf(graph).breaker?.state).toBe("closed");
    await outcome(graph, { ok: false }); // 4 of 7: 57%
    expect(targetOf(graph).breaker?.state).toBe("closed");
    await outcome(graph, { ok: false }); // 5 of 8: 62.5%
    expect(targetOf(graph).breaker?.state).toBe("open");
    expect((await outcome(graph, { ok: true })).error).toMatchObject({ code: "CIRCUIT_OPEN" });
    expect(up.requests).toBe(8);
  });

  it("stay closed below volumeThreshold calls, however many of them failed", async () => {
    const up = await startUpstream(status(500));
    const graph = await graphOf(
      flow(
        `call: {kind: remote, url: "${up.url}/", breaker: {volumeThreshold: 6, errorThresholdPercentage: 10}}`,
      ),
    );
    for (let i = 0; i < 5; i++) await outcome(graph);
    expect(targetOf(graph).breaker?.state).toBe("closed");
    await outcome(graph);
    expect(targetOf(graph).breaker?.state).toBe("open");
  });

  it("do not count a caller's mistakes (4xx) as the target's failures", async () => {
    const up = await startUpstream(status(404));
    const graph = await graphOf(flow(`call: {kind: remote, url: "${up.url}/", ${breaker}}`));
    for (let i = 0; i < 10; i++) expect((await outcome(graph)).error).toMatchObject({ status: 404 });
    expect(targetOf(graph).breaker?.state).toBe("closed");
    expect(up.requests).toBe(10);
  });

  it("are one per target: every step calling an origin shares its breaker", async () => {
    const up = await startUpstream(status(500));
    const graph = await graphOf(
      flow(`
        a: {kind: remote, url: "${up.url}/a", ${breaker}, on_error: skip}
        b: {kind: remote, url: "${up.url}/b", after: [a]}
        skip: {kind: error, handler: ./steps.mjs#handled, before: [b]}
      `),
    );
    for (let i = 0; i < 4; i++) await outcome(graph);
    // a's failures opened the target's breaker: b now fails fast too.
    expect((await outcome(graph)).error).toMatchObject({ step: "b", code: "CIRCUIT_OPEN" });
    expect(graph.describe().targets).toMatchObject([{ steps: ["a", "b"], breaker: { state: "open" } }]);
  });
});

describe("bulkheads", () => {
  it("bound the calls in flight to a target and its queue; overflow is 503 OVERLOADED at once", async () => {
    const up = await startUpstream(slow(150));
    const graph = await graphOf(
      flow(`call: {kind: remote, url: "${up.url}/", target: {maxConcurrency: 2, maxQueue: 3}}`),
    );
    const runs = Array.from({ length: 10 }, (_, i) => outcome(graph, { i }));
    await vi.waitFor(() =>
      expect(targetOf(graph).bulkhead).toMatchObject({
        active: 2,
        queued: 3,
        maxConcurrency: 2,
        maxQueue: 3,
      }),
    );
    const results = await Promise.all(runs);
    expect(results.filter((r) => "value" in r)).toHaveLength(5);
    const refused = results.filter((r) => r.error?.code === "OVERLOADED");
    expect(refused).toHaveLength(5);
    expect(refused[0]?.error).toMatchObject({ step: "call", status: 503 });
    expect(up.maxInFlight).toBe(2);
    expect(up.requests).toBe(5);
  });

  it("bound a step's own concurrency (maxConcurrency on the step)", async () => {
    const up = await startUpstream(slow(100));
    const graph = await graphOf(
      flow(`call: {kind: remote, url: "${up.url}/", maxConcurrency: 3, maxQueue: 0}`),
    );
    const results = await Promise.all(Array.from({ length: 10 }, () => outcome(graph)));
    expect(results.filter((r) => r.error?.code === "OVERLOADED")).toHaveLength(7);
    expect(up.maxInFlight).toBe(3);
  });

  it("hold no more than their queue under a burst: the rest is refused, not kept in memory", async () => {
    const up = await startUpstream(slow(50));
    const graph = await graphOf(
      flow(`call: {kind: remote, url: "${up.url}/", target: {maxConcurrency: 2, maxQueue: 10}}`),
    );
    const runs = Array.from({ length: 2000 }, () => outcome(graph));
    expect(targetOf(graph).bulkhead).toMatchObject({ active: 2, queued: 10 });
    const results = await Promise.all(runs);
    expect(results.filter((r) => r.error?.code === "OVERLOADED")).toHaveLength(1988);
    expect(up.maxInFlight).toBe(2);
  });

  it("let a waiting call go at its deadline, and take it out of the queue", async () => {
    const up = await startUpstream(slow(400));
    const graph = await graphOf(flow(`call: {kind: remote, url: "${up.url}/", maxConcurrency: 1}`));
    let firstDone = false;
    const first = outcome(graph).finally(() => {
      firstDone = true;
    });
    const second = await outcome(graph, {}, Date.now() + 100);
    expect(second.error).toMatchObject({ code: "TIMEOUT", status: 504 });
    expect(firstDone).toBe(false); // it went at its deadline, not after the call ahead of it
    expect((await first).value).toEqual({});
    expect(up.requests).toBe(1);
  });

  it("serve waiting calls in arrival order", async () => {
    const bulkhead = new Bulkhead("test", { maxConcurrency: 1, maxQueue: 5 });
    const order: number[] = [];
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const runs = [0, 1, 2, 3].map((i) =>
      bulkhead.run(async () => {
        if (i === 0) await gate;
        order.push(i);
      }),
    );
    expect(bulkhead.queued).toBe(3);
    release();
    await Promise.all(runs);
    expect(order).toEqual([0, 1, 2, 3]);
    expect([bulkhead.active, bulkhead.queued]).toEqual([0, 0]);
  });
});

describe("fallbacks", () => {
  const open = "breaker: {volumeThreshold: 1, errorThresholdPercentage: 1, resetTimeout: 10s}";

  it("answer with a static value when the breaker is open, landing at result_path", async () => {
    const up = await startUpstream(status(500));
    const graph = await graphOf(
      flow(`call: {kind: remote, url: "${up.url}/", ${open}, result_path: score, fallback: {value: {p: 0}}}`),
    );
    // The failure itself (a 502) takes the fallback too; then the open breaker does.
    expect((await outcome(graph, { id: 1 })).value).toEqual({ id: 1, score: { p: 0 } });
    expect(targetOf(graph).breaker?.state).toBe("open");
    const second = (await outcome(graph, { id: 2 })).value as { score: { p: number } };
    expect(second).toEqual({ id: 2, score: { p: 0 } });
    second.score.p = 99; // each event gets its own copy
    expect((await outcome(graph, { id: 3 })).value).toEqual({ id: 3, score: { p: 0 } });
    expect(up.requests).toBe(1);
  });

  it("run an error-kind step with the step's input and error", async () => {
    const up = await startUpstream(status(500));
    const graph = await graphOf(
      flow(`
        call: {kind: remote, url: "${up.url}/", ${open}, input_path: x, fallback: guess}
        guess: {kind: error, handler: ./steps.mjs#handled}
      `),
    );
    await outcome(graph, { x: 0 });
    expect((await outcome(graph, { x: 7 })).value).toEqual({
      handled: expect.objectContaining({ step: "call", code: "CIRCUIT_OPEN", status: 503 }),
      input: 7,
    });
  });

  it("answer when a bulkhead is full, and continue the flow", async () => {
    const up = await startUpstream(slow(100));
    const graph = await graphOf(
      flow(`
        call: {kind: remote, url: "${up.url}/", maxConcurrency: 1, maxQueue: 0, fallback: {value: {n: 0}}}
        next: {handler: ./steps.mjs#inc, after: [call]}
      `),
    );
    const [a, b] = await Promise.all([outcome(graph, { n: 10 }), outcome(graph, { n: 20 })]);
    expect([a.value, b.value]).toEqual([{ n: 11 }, { n: 1 }]);
  });

  it("never hide a caller's mistake", async () => {
    const up = await startUpstream(status(400));
    const graph = await graphOf(flow(`call: {kind: remote, url: "${up.url}/", fallback: {value: 1}}`));
    expect((await outcome(graph)).error).toMatchObject({ step: "call", status: 400 });
  });
});

describe("backoff", () => {
  it("waits a random time below the doubling cap (full jitter), never above the maximum", () => {
    const policy = { retries: 5, initialMs: 10, maxMs: 50 };
    for (const [retry, cap] of [
      [0, 10],
      [1, 20],
      [2, 40],
      [3, 50],
      [8, 50],
    ] as const) {
      const waits = Array.from({ length: 2000 }, () => backoffMs(policy, retry));
      expect(Math.max(...waits)).toBeLessThan(cap);
      expect(Math.min(...waits)).toBeGreaterThanOrEqual(0);
      const mean = waits.reduce((a, b) => a + b, 0) / waits.length;
      expect(mean).toBeGreaterThan(cap * 0.4);
      expect(mean).toBeLessThan(cap * 0.6);
    }
  });
});
