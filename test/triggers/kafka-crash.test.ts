import { describe, expect, it } from "vitest";
import { createTopic, kafkaBrokers, uniqueName } from "../helpers/brokers.js";
import { kafkaClientNames } from "../helpers/kafka-clients.js";
import {
  groupLag,
  messageCount,
  pipelineGraph,
  produceRange,
  readAll,
  summary,
  tally,
  waitForGroupDone,
  waitUntil,
} from "../helpers/kafka-streams.js";
import { serveProcess } from "../helpers/serve-process.js";

/**
 * What a SIGKILL may repeat, by the commit policy (defaults: every 1,000 events or 1 s, inside
 * a batch too): events whose outputs were written but whose offsets were not committed yet.
 * Commits are made after a flush (at most 500 events a partition), once 1,000 resolved events
 * wait: at most 1,000 plus a flush per partition are uncommitted at any moment.
 */
const partitions = 6;
const duplicateBound = 1_000 + partitions * 500;

describe.each(kafkaClientNames)("sluice serve on a Kafka stream, on %s", (client) => {
  it("loses no event when killed with SIGKILL midway and restarted, and repeats at most what was uncommitted", async () => {
    const events = 100_000;
    const [input, output] = [await createTopic(partitions), await createTopic(partitions)];
    const group = uniqueName("crash");
    const graph = await pipelineGraph("crash", { input, output, group, client });
    await produceRange(input, 0, events);

    const first = await serveProcess([graph], { SLUICE_LOG_LEVEL: "warn" });
    await waitUntil(
      async () => (await messageCount(output)) >= events * 0.35,
      "35% of the outputs exist",
      90_000,
      50,
    );
    first.child.kill("SIGKILL");
    expect(await first.exited).toBe("SIGKILL");
    // Dead: nothing more is written or committed. What it had output past its commits is
    // what a restart repeats.
    const atKill = await messageCount(output);
    const committedAtKill = events - (await groupLag(group, input));
    expect(atKill).toBeLessThan(events);
    // Offsets were committed while it ran (inside the fetched batches), not only at a stop.
    expect(committedAtKill).toBeGreaterThan(0);
    expect(atKill - committedAtKill).toBeLessThanOrEqual(duplicateBound);

    const second = await serveProcess([graph], { SLUICE_LOG_LEVEL: "warn" });
    await waitForGroupDone(group, input, kafkaBrokers(), 120_000);
    const result = tally(await readAll(output), events);
    console.log(
      `${summary("crash test", events, result)}; killed after ${atKill} outputs, ${committedAtKill} committed`,
    );
    expect(result.missing.slice(0, 20)).toEqual([]);
    expect(result.distinct).toBe(events);
    // At least once, and at most the work the commit policy leaves uncommitted repeated.
    expect(result.duplicates).toBeLessThanOrEqual(duplicateBound);

    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  }, 240_000);
});
