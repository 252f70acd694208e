import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { GraphEvent } from "../../src/graph/index.js";
import { CronTrigger } from "../../src/triggers/index.js";
import { uniqueName } from "../helpers/brokers.js";
import { testGateway } from "../helpers/gateway.js";
import { memoryLogger } from "../helpers/graphs.js";
import { graphFile } from "../helpers/streams.js";

// @ts-expect-error: a plain JavaScript fixture module
const steps = await import("../fixtures/triggers/steps.mjs");

/** A cron trigger on its own, fed to a handler the test controls (each run waits for `finish`). */
function cronTrigger(spec: { interval?: string; schedule?: string }) {
  const trigger = new CronTrigger({ kind: "cron", ...spec }, { graph: "cron-test", logger: memoryLogger() });
  const calls: { at: number; event: GraphEvent; finish: () => void }[] = [];
  const handler = (event: GraphEvent) =>
    new Promise<unknown>((resolve) =>
      calls.push({ at: Date.now(), event, finish: () => resolve(undefined) }),
    );
  return { trigger, calls, handler };
}

describe("the cron trigger, on a fake clock", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date("2030-01-01T00:00:00.000Z") });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("fires every interval, with the spec's body and headers afresh each time", async () => {
    const trigger = new CronTrigger(
      {
        kind: "cron",
        interval: "100ms",
        event: { body: { job: "cleanup" }, headers: { "x-job": "nightly" } },
      },
      { graph: "cron-test", logger: memoryLogger() },
    );
    const events: GraphEvent[] = [];
    await trigger.start((event) => {
      events.push(structuredClone(event));
      // A step that changes its input in place must not change the next tick's event.
      (event.body as { runs?: number }).runs = 1;
      event.headers["x-job"] = "changed";
    });
    await vi.advanceTimersByTimeAsync(550);
    expect(events.map((e) => e.time - Date.parse("2030-01-01T00:00:00.000Z"))).toEqual([
      100, 200, 300, 400, 500,
    ]);
    for (const event of events) {
      expect(event.body).toEqual({ job: "cleanup" });
      expect(event.headers).toEqual({ "x-job": "nightly" });
      expect(event.trigger).toEqual({ kind: "cron", name: "cron:100ms" });
    }
    expect(new Set(events.map((e) => e.id)).size).toBe(5);
    await trigger.close();
  });

  it("fires on a cron schedule with seconds", async () => {
    const { trigger, calls, handler } = cronTrigger({ schedule: "*/2 * * * * *" });
    await trigger.start(handler);
    for (let n = 1; n <= 3; n++) {
      await vi.advanceTimersByTimeAsync(2_000);
      expect(calls).toHaveLength(n);
      calls[n - 1]?.finish();
    }
    expect(calls.map((c) => new Date(c.at).toISOString())).toEqual([
      "2030-01-01T00:00:02.000Z",
      "2030-01-01T00:00:04.000Z",
      "2030-01-01T00:00:06.000Z",
    ]);
    await trigger.close();
  });

  it("skips a tick while the previous run is still going, rather than overlapping it", async () => {
    const { trigger, calls, handler } = cronTrigger({ interval: "100ms" });
    await trigger.start(handler);
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(400); // four ticks come and go while the first run holds on
    expect(calls).toHaveLength(1);

    calls[0]?.finish();
    await vi.advanceTimersByTimeAsync(100);
    // The next run starts at the next tick after the first ended, not in a burst of missed ones.
    expect(calls.map((c) => c.at - Date.parse("2030-01-01T00:00:00.000Z"))).toEqual([100, 600]);
    calls[1]?.finish();
    await trigger.close();
  });

  it("drains by letting the running tick finish, and then never fires again", async () => {
    const { trigger, calls, handler } = cronTrigger({ interval: "100ms" });
    await trigger.start(handler);
    await vi.advanceTimersByTimeAsync(100);
    let drained = false;
    const draining = trigger.drain().then(() => {
      drained = true;
    });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(drained).toBe(false); // the run in flight holds the drain
    calls[0]?.finish();
    await draining;
    expect(trigger.state).toBe("draining");
    expect(trigger.health.condition).toBe("stopped");
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toHaveLength(1);
    await trigger.close();
    expect(trigger.state).toBe("closed");
  });

  it("counts a run that fails, logs it, and fires again at the next tick", async () => {
    const logger = memoryLogger();
    const outcomes: string[] = [];
    const trigger = new CronTrigger(
      { kind: "cron", interval: "1s" },
      { graph: "cron-test", logger, onEvent: (_name, outcome) => outcomes.push(outcome) },
    );
    let runs = 0;
    await trigger.start(() => {
      runs++;
      if (runs === 1) throw new Error("the nightly job broke");
    });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(outcomes).toEqual(["failed", "ok"]);
    expect(logger.lines).toMatchObject([{ level: "warn", msg: "scheduled event failed" }]);
    await trigger.close();
  });
});

describe("a graph's cron trigger in the gateway", () => {
  it("runs the graph with the spec's event until the gateway closes", async () => {
    const name = uniqueName("cron");
    const gw = await testGateway([
      await graphFile(`apiVersion: sluice/v1
kind: Graph
metadata: {name: ${name}}
spec:
  steps:
    record: {handler: ./steps.mjs#record, full_event: true}
  triggers:
    - {kind: cron, interval: 20ms, event: {body: {job: ${name}}, headers: {x-job: nightly}}}
`),
    ]);
    const mine = () =>
      (steps.recorded as { body: { job: string } }[]).filter((event) => event.body.job === name);
    await vi.waitFor(() => expect(mine().length).toBeGreaterThanOrEqual(3), { timeout: 10_000 });
    await gw.close();
    for (const event of mine()) {
      expect(event).toMatchObject({
        body: { job: name },
        headers: { "x-job": "nightly" },
        trigger: { kind: "cron" },
      });
    }
    expect(gw.streams.health(name)).toMatchObject([{ kind: "cron", condition: "stopped" }]);
  });
});
