import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import type { GraphEvent } from "../../src/graph/index.js";
import { CronTrigger } from "../../src/triggers/index.js";
import { natsConnection, natsUrl, uniqueName } from "../helpers/brokers.js";
import { testGateway } from "../helpers/gateway.js";
import { memoryLogger } from "../helpers/graphs.js";
import { listen, natsGraphFile, waitFor } from "../helpers/nats-streams.js";

interface Report {
  id: string;
  body: { job: string; runs: number };
  headers: Record<string, string>;
  trigger: { kind: string };
  started: number;
}

/** A cron trigger on its own, fed to a handler the test controls. */
function cronTrigger(interval: string) {
  const trigger = new CronTrigger({ kind: "cron", interval }, { graph: "cron-test", logger: memoryLogger() });
  const calls: { at: number; finish: () => void }[] = [];
  const handler = (_event: GraphEvent) =>
    new Promise<unknown>((resolve) => calls.push({ at: Date.now(), finish: () => resolve(undefined) }));
  return { trigger, calls, handler };
}

describe("the cron trigger", () => {
  it("runs the graph every interval with the spec's body and headers, afresh each time, until the gateway drains", async () => {
    const nc = await natsConnection();
    const reported = uniqueName("reported");
    const reports = listen<Report>(nc, reported);
    await reports.ready();
    const gw = await testGateway([
      await natsGraphFile(`apiVersion: sluice/v1
kind: Graph
metadata: {name: ${uniqueName("cron")}}
spec:
  steps:
    count: {handler: ./nats-steps.mjs#countInPlace}
    report: {class: ./nats-steps.mjs#Report, args: {url: "${natsUrl()}", subject: ${reported}}, full_event: true, after: [count]}
  triggers:
    - {kind: cron, interval: 100ms, event: {body: {job: cleanup}, headers: {x-job: nightly}}}
`),
    ]);

    const runs = await reports.until(5, 5_000);
    await gw.close();
    const afterDrain = reports.got.length;
    await sleep(400);
    expect(reports.got).toHaveLength(afterDrain); // drained: no tick after close()

    expect(new Set(runs.map((r) => r.id)).size).toBe(runs.length);
    for (const run of runs) {
      // A step that changes its input in place does not change the next tick's event.
      expect(run.body).toEqual({ job: "cleanup", runs: 1 });
      expect(run.headers).toMatchObject({ "x-job": "nightly" });
      expect(run.trigger.kind).toBe("cron");
    }
    const starts = runs.map((r) => r.started).sort((a, b) => a - b);
    const gaps = starts.slice(1).map((t, n) => t - (starts[n] as number));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(80);
  });

  it("skips a tick while the previous run is still going, rather than overlapping it", async () => {
    const { trigger, calls, handler } = cronTrigger("100ms");
    await trigger.start(handler);
    await waitFor(
      () => calls.length,
      (n) => n === 1,
      2_000,
      "the first tick",
    );
    await sleep(450); // four more ticks come and go while the first run holds on
    expect(calls).toHaveLength(1);

    const finished = Date.now();
    calls[0]?.finish();
    await waitFor(
      () => calls.length,
      (n) => n === 2,
      2_000,
      "the next tick",
    );
    // The next run starts at the next tick after the first ended, not in a burst of missed ones.
    expect((calls[1]?.at as number) - finished).toBeLessThanOrEqual(150);
    await sleep(50);
    expect(calls).toHaveLength(2);
    calls[1]?.finish();
    await trigger.close();
  });

  it("drains by letting the running tick finish, and then never fires again", async () => {
    const { trigger, calls, handler } = cronTrigger("100ms");
    await trigger.start(handler);
    await waitFor(
      () => calls.length,
      (n) => n === 1,
      2_000,
      "the first tick",
    );
    let drained = false;
    const draining = trigger.drain().then(() => {
      drained = true;
    });
    await sleep(250);
    expect(drained).toBe(false); // the run in flight holds the drain
    calls[0]?.finish();
    await draining;
    expect(trigger.state).toBe("draining");
    await sleep(300);
    expect(calls).toHaveLength(1);
    await trigger.close();
    expect(trigger.state).toBe("closed");
  });
});
