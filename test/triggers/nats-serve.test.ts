import { describe, expect, it } from "vitest";
import { natsConnection, natsUrl, uniqueName } from "../helpers/brokers.js";
import { testGateway } from "../helpers/gateway.js";
import {
  duplicatesOf,
  type JetStreamBed,
  jetstreamBed,
  jetstreamGraph,
  listen,
  publishEvents,
  readAll,
  settled,
  streamCount,
  waitFor,
  waitForCount,
} from "../helpers/nats-streams.js";
import { serveProcess } from "../helpers/serve-process.js";

interface Output {
  i: number;
  id: string;
  pid: number;
}

const events = 600;

/** The bed, its events (each takes 20 ms), and a graph reporting which process started what. */
async function midStream() {
  const bed: JetStreamBed = await jetstreamBed(await natsConnection(), natsUrl());
  const started = uniqueName("started");
  const runs = listen<{ id: string; pid: number }>(bed.nc, started);
  await runs.ready();
  await publishEvents(
    bed.nc,
    bed.subject,
    Array.from({ length: events }, (_, i) => ({ i, ms: 20 })),
  );
  const graph = await jetstreamGraph(
    bed,
    `    track: {class: ./nats-steps.mjs#Track, args: {url: "${bed.url}", subject: ${started}}, full_event: true}`,
    { concurrency: 8, ackWait: 1_000 },
  );
  return { bed, runs, graph };
}

/** Waits until every event has an output, then returns them all (duplicates included). */
async function everyOutput(bed: JetStreamBed): Promise<Output[]> {
  const all = await waitFor(
    () => readAll<Output>(bed.nc, bed.outStream),
    (outputs) => new Set(outputs.map((o) => o.body.i)).size >= events,
    30_000,
    `an output for each of ${events} events`,
  );
  return all.map((o) => o.body);
}

describe("sluice serve on a JetStream durable", () => {
  it("loses nothing when killed mid-stream: the events it had not acked go to the next gateway", async () => {
    const { bed, runs, graph } = await midStream();
    const first = await serveProcess([graph]);
    await waitForCount(bed.nc, bed.outStream, 100);
    first.child.kill("SIGKILL");
    expect(await first.exited).toBe("SIGKILL");

    // Every start report the server had routed is in before they are read (a flush's answer
    // comes after them).
    await runs.ready();
    // Events the killed process had started but whose outputs it never wrote: never acked.
    const outputsBefore = await readAll<Output>(bed.nc, bed.outStream);
    const doneByFirst = new Set(
      outputsBefore.filter((o) => o.body.pid === first.child.pid).map((o) => o.body.id),
    );
    const inFlight = new Set(
      runs.got.filter((r) => r.pid === first.child.pid && !doneByFirst.has(r.id)).map((r) => r.id),
    );
    expect(inFlight.size).toBeGreaterThan(0);

    await testGateway([graph]);
    const outputs = await everyOutput(bed);
    const ids = new Set(outputs.map((o) => o.id));
    expect(ids.size).toBe(events);
    const redone = outputs.filter((o) => inFlight.has(o.id) && o.pid === process.pid);
    expect(new Set(redone.map((o) => o.id))).toEqual(inFlight);
    // At least once: an event whose output was written but not yet acked is done again.
    const duplicates = duplicatesOf(outputs.map((o) => o.id));
    console.log(
      `killed mid-stream: ${inFlight.size} events in flight redelivered, ${duplicates.length} outputs duplicated`,
    );
  });

  it("loses nothing and duplicates nothing on SIGTERM mid-stream", async () => {
    const { bed, graph } = await midStream();
    const first = await serveProcess([graph]);
    await waitForCount(bed.nc, bed.outStream, 100);
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    const byFirst = await streamCount(bed.nc, bed.outStream);
    expect(byFirst).toBeLessThan(events);

    await testGateway([graph]);
    const outputs = await everyOutput(bed);
    // Owing nothing: a message the first process had left unacked would still be pending.
    await settled(bed);
    expect(await streamCount(bed.nc, bed.outStream)).toBe(events);
    expect(duplicatesOf(outputs.map((o) => o.id))).toEqual([]);
    expect(outputs.map((o) => o.i).sort((a, b) => a - b)).toEqual(
      Array.from({ length: events }, (_, i) => i),
    );
  });
});
