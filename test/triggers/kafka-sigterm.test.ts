import { describe, expect, it } from "vitest";
import { createTopic, uniqueName } from "../helpers/brokers.js";
import { kafkaClientNames } from "../helpers/kafka-clients.js";
import {
  groupLag,
  messageCount,
  pipelineGraph,
  produceRange,
  produceRaw,
  readAll,
  summary,
  tally,
  waitForGroupDone,
  waitUntil,
} from "../helpers/kafka-streams.js";
import { serveProcess } from "../helpers/serve-process.js";

describe.each(kafkaClientNames)("sluice serve on a Kafka stream, on %s", (client) => {
  it("on SIGTERM mid-stream finishes and commits what it began, exits 0, and a restart does the rest exactly once", async () => {
    const events = 40_000;
    const [input, output] = [await createTopic(6), await createTopic(6)];
    const group = uniqueName("sigterm");
    // An async enrich, like a step doing I/O: the SIGTERM lands between events, not only between batches.
    const graph = await pipelineGraph("sigterm", { input, output, group, client }, "enrichAsync");
    await produceRange(input, 0, events);

    const first = await serveProcess([graph], { SLUICE_LOG_LEVEL: "warn" });
    await waitUntil(
      async () => (await messageCount(output)) >= events * 0.3,
      "30% of the outputs exist",
      60_000,
      50,
    );
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    // Whatever the first process wrote, it also committed: nothing is left half done.
    const written = await messageCount(output);
    expect(written).toBeLessThan(events);
    expect(await groupLag(group, input)).toBe(events - written);

    const second = await serveProcess([graph], { SLUICE_LOG_LEVEL: "warn" });
    await waitForGroupDone(group, input);
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);

    const result = tally(await readAll(output), events);
    console.log(`${summary("sigterm", events, result)}; ${written} written before the SIGTERM`);
    expect(result.missing.slice(0, 20)).toEqual([]);
    expect(result.repeated).toEqual([]);
    expect(result.outputs).toBe(events);
  }, 120_000);
});

describe.each(kafkaClientNames)("sluice serve stuck on a failing Kafka event, on %s", (client) => {
  it("still stops promptly on SIGTERM with exit 0, and leaves the failing event uncommitted for the next start", async () => {
    const [input, output] = [await createTopic(1), await createTopic(1)];
    const group = uniqueName("stuck");
    // No dlq: an event that keeps failing is retried until it succeeds, holding its partition.
    // An async enrich, like a step doing I/O: the SIGTERM lands between events, not only between batches.
    const graph = await pipelineGraph("sigterm", { input, output, group, client }, "enrichAsync");
    await produceRange(input, 0, 5);
    await produceRaw(input, [{ key: "poison", value: JSON.stringify({ poison: true }) }]);
    await produceRange(input, 5, 10);

    const server = await serveProcess([graph, "--grace", "10s"], { SLUICE_LOG_LEVEL: "warn" });
    await waitUntil(
      () => /no dlq topic; retrying/.test(server.stderr()),
      "the poison event is being retried",
    );
    expect(await messageCount(output)).toBe(5);
    server.child.kill("SIGTERM");
    // 0: drained and committed; a stop held by the retry's wait would be cut at --grace (exit 1).
    expect(await server.exited).toBe(0);
    // The five events before it are committed; it and those behind it wait for the next start.
    expect(await groupLag(group, input)).toBe(6);
  });
});
