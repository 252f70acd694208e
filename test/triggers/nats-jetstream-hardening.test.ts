import { jetstreamManager } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { natsConnection, natsUrl } from "../helpers/brokers.js";
import { testGateway } from "../helpers/gateway.js";
import { waitUntil } from "../helpers/kafka-streams.js";
import {
  duplicatesOf,
  jetstreamBed,
  jetstreamGraph,
  publishEvents,
  readStream,
  settled,
  streamCount,
  waitForCount,
} from "../helpers/nats-streams.js";
import { listedTriggers, metricValue, readiness } from "../helpers/trigger-health.js";

describe("the JetStream trigger under load it cannot keep up with", () => {
  it("runs each message once when a slow step leaves pulled messages waiting longer than ackWait", {
    timeout: 120_000,
  }, async () => {
    const s = await jetstreamBed(await natsConnection(), natsUrl());
    // 40 messages of 200 ms each, one at a time: the last waits 8 s, four times ackWait.
    await publishEvents(
      s.nc,
      s.subject,
      Array.from({ length: 40 }, (_, i) => ({ i, ms: 200 })),
    );
    await testGateway([
      await jetstreamGraph(s, "    slow: {handler: ./steps.mjs#slow}", { concurrency: 1, ackWait: 2_000 }),
    ]);

    await waitForCount(s.nc, s.outStream, 40, 60_000);
    await settled(s); // every message acked: none is redelivered after this
    const outputs = await readStream(s.nc, s.outStream, 40);
    expect(duplicatesOf(outputs.map((o) => o.headers["x-sluice-event-id"] as string))).toEqual([]);
    expect(await streamCount(s.nc, s.outStream)).toBe(40);
  });
});

describe("the JetStream trigger when its stream is deleted and made again", () => {
  it("recreates its durable consumer, says so, and consumes what the new stream gets", {
    timeout: 120_000,
  }, async () => {
    const s = await jetstreamBed(await natsConnection(), natsUrl());
    await publishEvents(s.nc, s.subject, [{ i: 0 }, { i: 1 }]);
    const gateway = await testGateway([await jetstreamGraph(s, "    score: {handler: ./steps.mjs#score}")]);
    await waitForCount(s.nc, s.outStream, 2);

    const jsm = await jetstreamManager(s.nc);
    await jsm.streams.delete(s.stream);
    await jsm.streams.add({ name: s.stream, subjects: [s.subject] });
    await publishEvents(s.nc, s.subject, [{ i: 2 }, { i: 3 }]);

    await waitForCount(s.nc, s.outStream, 4, 60_000);
    const outputs = await readStream(s.nc, s.outStream, 4);
    expect(outputs.map((o) => (o.body as { i: number }).i).sort()).toEqual([0, 1, 2, 3]);
    const trigger = `jetstream:${s.stream}/${s.durable}`;
    expect(
      await metricValue(
        gateway.adminUrl,
        `sluice_trigger_consumers_recreated_total{graph="js-scorer",trigger="${trigger}"}`,
      ),
    ).toBeGreaterThanOrEqual(1);
    const logged = (gateway.logger as unknown as { lines: { level: string; msg?: string }[] }).lines;
    expect(logged.some((l) => l.level === "warn" && /durable consumer .* recreated/.test(l.msg ?? ""))).toBe(
      true,
    );
    await waitUntil(async () => (await readiness(gateway.url)) === 200, "the gateway is ready", 10_000);
    expect((await listedTriggers(gateway.adminUrl, "js-scorer"))[0]?.condition).toBe("running");
  });
});
