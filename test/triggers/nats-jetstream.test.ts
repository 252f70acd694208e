import { jetstreamManager } from "@nats-io/jetstream";
import { describe, expect, it, vi } from "vitest";
import { natsConnection, natsUrl, uniqueName } from "../helpers/brokers.js";
import { testGateway } from "../helpers/gateway.js";
import {
  duplicatesOf,
  type JetStreamBed,
  jetstreamBed,
  jetstreamGraph,
  listen,
  publishEvents,
  readStream,
  settled,
  streamCount,
} from "../helpers/nats-streams.js";

/** Input, output and DLQ streams of this test's own on the shared nats-server. */
async function streams(): Promise<JetStreamBed> {
  return jetstreamBed(await natsConnection(), natsUrl());
}

describe("the JetStream trigger", () => {
  it("turns 10,000 events into exactly 10,000 outputs, one per event", async () => {
    const s = await streams();
    const count = 10_000;
    await publishEvents(
      s.nc,
      s.subject,
      Array.from({ length: count }, (_, i) => ({ i })),
    );
    await testGateway([
      await jetstreamGraph(
        s,
        `    score: {handler: ./steps.mjs#score}
    tag: {handler: ./steps.mjs#tag, after: [score]}`,
        { concurrency: 64 },
      ),
    ]);

    const outputs = await readStream(s.nc, s.outStream, count, 60_000);
    await settled(s); // every event acked: nothing more can come
    expect(await streamCount(s.nc, s.outStream)).toBe(count);
    const values = outputs.map((o) => o.body as { i: number; score: number; tagged: boolean });
    expect(values.map((v) => v.i).sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(values.every((v) => v.score === v.i * 2 && v.tagged)).toBe(true);
    const ids = outputs.map((o) => o.headers["x-sluice-event-id"] as string);
    expect(duplicatesOf(ids)).toEqual([]);
    expect(ids[0]).toMatch(new RegExp(`^${s.stream}/\\d+$`));
    expect(await streamCount(s.nc, s.dlqStream)).toBe(0);
  });

  it("redelivers a failed event after a delay, and it succeeds once the failure passes", async () => {
    const s = await streams();
    await publishEvents(s.nc, s.subject, [{ i: 0 }, { i: 1, failFirst: 2 }]);
    await testGateway([
      await jetstreamGraph(s, "    flaky: {handler: ./nats-steps.mjs#flaky, full_event: true}", {
        maxDeliver: 5,
      }),
    ]);

    const outputs = await readStream(s.nc, s.outStream, 2);
    const byI = new Map(outputs.map((o) => [o.body.i, o.body as { deliveries: number[] }]));
    expect(byI.get(0)?.deliveries).toHaveLength(1);
    const deliveries = byI.get(1)?.deliveries ?? [];
    expect(deliveries).toHaveLength(3);
    // nak'ed with a delay (backoff with jitter: at least 50 ms, then at least 100 ms), not at once.
    const gaps = deliveries.slice(1).map((t, n) => t - (deliveries[n] as number));
    expect(gaps[0]).toBeGreaterThanOrEqual(45);
    expect(gaps[1]).toBeGreaterThanOrEqual(95);
    await settled(s);
    expect(await streamCount(s.nc, s.outStream)).toBe(2);
    expect(await streamCount(s.nc, s.dlqStream)).toBe(0);
  });

  it("publishes a poison event to the DLQ subject with where and why after maxDeliver deliveries, and never redelivers it", async () => {
    const s = await streams();
    const started = uniqueName("started");
    const runs = listen<{ id: string }>(s.nc, started);
    await runs.ready();
    s.nc.publish(s.subject, "{not json"); // sequence 1; the stream captures core publishes too
    await publishEvents(s.nc, s.subject, [{ i: 1 }, { i: 2, poison: true }, { i: 3 }]);
    await testGateway([
      await jetstreamGraph(
        s,
        `    track: {class: ./nats-steps.mjs#Track, args: {url: "${natsUrl()}", subject: ${started}}, full_event: true}
    score: {handler: ./steps.mjs#score, after: [track]}`,
        { maxDeliver: 3, ackWait: 1_000 },
      ),
    ]);

    const outputs = await readStream(s.nc, s.outStream, 2);
    expect(outputs.map((o) => o.body.i).sort()).toEqual([1, 3]);
    const letters = await readStream<unknown>(s.nc, s.dlqStream, 2);
    const poison = letters.find((l) => l.headers["x-sluice-error-step"] === "score");
    const garbled = letters.find((l) => l.headers["x-sluice-error-step"] === "decode");
    expect(poison?.body).toEqual({ i: 2, poison: true });
    expect(poison?.headers).toMatchObject({
      "x-sluice-event-id": `${s.stream}/3`,
      "x-sluice-error-code": "STEP_FAILED",
      "x-sluice-error-message": "poison event 2",
      "x-sluice-attempts": "3",
      "x-sluice-source-subject": s.subject,
      "x-sluice-source-sequence": "3",
    });
    // Bad JSON is the message's own fault: no redelivery, straight to the DLQ.
    expect(garbled?.headers).toMatchObject({
      "x-sluice-error-code": "BAD_INPUT",
      "x-sluice-attempts": "1",
      "x-sluice-source-sequence": "1",
    });

    // Terminated: the consumer owes nothing, so nothing comes back after the ack wait.
    await settled(s);
    const poisonRuns = () => runs.got.filter((r) => r.id === `${s.stream}/3`);
    await vi.waitFor(() => expect(poisonRuns().length).toBeGreaterThanOrEqual(3));
    await runs.ready(); // a 4th run's report, if there were one, is in by now
    expect(poisonRuns()).toHaveLength(3);
    expect(await streamCount(s.nc, s.dlqStream)).toBe(2);
  });

  it("keeps an event whose dead letter cannot be written, and writes it once the DLQ is back", async () => {
    const s = await streams();
    await testGateway([
      await jetstreamGraph(s, "    score: {handler: ./steps.mjs#score}", { maxDeliver: 20 }),
    ]);
    // The DLQ stream goes away under the running gateway: dead letters cannot be written.
    const jsm = await jetstreamManager(s.nc);
    const dlqConfig = (await jsm.streams.info(s.dlqStream)).config;
    await jsm.streams.delete(s.dlqStream);
    s.nc.publish(s.subject, "{not json");
    await publishEvents(s.nc, s.subject, [{ i: 2 }]);

    const [output] = await readStream(s.nc, s.outStream, 1);
    expect(output?.body).toMatchObject({ i: 2, score: 4 }); // the stream goes on meanwhile
    // The dead letter was tried and refused at least once (its event redelivered) before the DLQ returns.
    await vi.waitFor(
      async () => expect((await jsm.consumers.info(s.stream, s.durable)).num_redelivered).toBeGreaterThan(0),
      { timeout: 10_000 },
    );
    await jsm.streams.add(dlqConfig);
    const [letter] = await readStream<unknown>(s.nc, s.dlqStream, 1, 10_000);
    expect(letter?.body).toBe("{not json");
    expect(Number(letter?.headers["x-sluice-attempts"])).toBeGreaterThan(1);
  });

  it("keeps an event that runs longer than ackWait from being redelivered (working())", async () => {
    const s = await streams();
    const started = uniqueName("started");
    const runs = listen<{ id: string }>(s.nc, started);
    await runs.ready();
    await publishEvents(s.nc, s.subject, [{ i: 1, ms: 2_500 }]);
    await testGateway([
      await jetstreamGraph(
        s,
        `    track: {class: ./nats-steps.mjs#Track, args: {url: "${natsUrl()}", subject: ${started}}, full_event: true}`,
        { ackWait: 1_000 },
      ),
    ]);

    const [output] = await readStream(s.nc, s.outStream, 1);
    expect(output?.body).toMatchObject({ i: 1, id: `${s.stream}/1` });
    await settled(s); // acked, and owing nothing: no redelivery is on its way
    await runs.ready();
    expect(runs.got).toHaveLength(1);
    expect(await streamCount(s.nc, s.outStream)).toBe(1);
  });
});
