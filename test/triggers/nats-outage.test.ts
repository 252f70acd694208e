import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { testGateway } from "../helpers/gateway.js";
import {
  duplicatesOf,
  jetstreamBed,
  jetstreamGraph,
  natsClient,
  ownNatsServer,
  publishEvents,
  readAll,
  streamCount,
  waitFor,
  waitForCount,
} from "../helpers/nats-streams.js";

describe("the JetStream trigger through a broker outage", () => {
  it("loses nothing when nats-server stops for 10 s mid-stream and comes back", {
    timeout: 60_000,
  }, async () => {
    const server = await ownNatsServer();
    const nc = await natsClient(server.url);
    const bed = await jetstreamBed(nc, server.url);
    const events = 1_000;
    await publishEvents(
      nc,
      bed.subject,
      Array.from({ length: events / 2 }, (_, i) => ({ i, ms: 10 })),
    );
    await testGateway([
      await jetstreamGraph(bed, "    slow: {handler: ./steps.mjs#slow}", { concurrency: 4, ackWait: 2_000 }),
    ]);

    const before = await waitForCount(nc, bed.outStream, 100);
    expect(before).toBeLessThan(events / 2); // mid-stream
    await server.stop();
    await sleep(10_000);
    await server.restart();
    await waitFor(
      () => streamCount(nc, bed.stream),
      (n) => n >= events / 2,
      15_000,
      "JetStream back with the stream",
    );
    // The stream goes on: the rest of the events are written after the outage.
    await publishEvents(
      nc,
      bed.subject,
      Array.from({ length: events / 2 }, (_, i) => ({ i: events / 2 + i, ms: 10 })),
    );

    const outputs = await waitFor(
      () => readAll<{ i: number }>(nc, bed.outStream),
      (all) => new Set(all.map((o) => o.body.i)).size >= events,
      40_000,
      `an output for each of ${events} events`,
    );
    const is = [...new Set(outputs.map((o) => o.body.i))].sort((a, b) => a - b);
    expect(is).toEqual(Array.from({ length: events }, (_, i) => i));
    const duplicates = duplicatesOf(outputs.map((o) => o.headers["x-sluice-event-id"] as string));
    console.log(`nats-server outage: ${events} events, ${duplicates.length} outputs duplicated`);
  });
});
