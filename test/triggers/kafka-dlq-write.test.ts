import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { loadGraphText } from "../../src/graph/index.js";
import { createTopic, kafkaBrokers, uniqueName } from "../helpers/brokers.js";
import { testGateway } from "../helpers/gateway.js";
import { memoryLogger } from "../helpers/graphs.js";
import { clientLine, kafkaClientNames } from "../helpers/kafka-clients.js";
import { groupLag, waitUntil } from "../helpers/kafka-streams.js";
import { collect, graphFile, produce } from "../helpers/streams.js";
import { alterTopic, metricValue } from "../helpers/trigger-health.js";

function scorer(input: string, output: string, dlq: string, group: string, client = "kafkajs"): string {
  return `apiVersion: sluice/v1
kind: Graph
metadata: {name: dlqwrite}
spec:
  steps:
    score: {handler: ./steps.mjs#score}
  triggers:
    - kind: kafka
      brokers: [${kafkaBrokers().join(", ")}]
      topics: [${input}]
      group: ${group}
      fromBeginning: true
      commit: {everyMs: 200}
      output: {topic: ${output}}
      dlq: {topic: ${dlq}, maxAttempts: 1}
${clientLine(client)}
`;
}

describe.each(kafkaClientNames)("a Kafka DLQ that cannot be written, on %s", (client) => {
  it("is refused when the graph loads if Kafka would refuse its topic name", {
    timeout: 150_000,
  }, async () => {
    const file = await graphFile(scorer("in", "out", "bad topic!", "g", client));
    const text = await readFile(file, "utf8");
    await expect(loadGraphText(text, file, { logger: memoryLogger() })).rejects.toThrow(/dlq\/topic/);
    // The same document with a name Kafka takes loads.
    const good = await loadGraphText(text.replace("bad topic!", "bad-topic"), file, {
      logger: memoryLogger(),
    });
    await good.close();
  });

  it("keeps the partition on the poison event, with the outputs before it written and committed, until the DLQ takes it", {
    timeout: 150_000,
  }, async () => {
    const [input, output, dlq] = [await createTopic(1), await createTopic(1), await createTopic(1)];
    // The dead letter (the event as it came, plus headers) is larger than the DLQ takes.
    await alterTopic(dlq, { "max.message.bytes": "200" });
    const events = Array.from({ length: 10 }, (_, i) => ({
      key: `k${i}`,
      value: i === 5 ? { i, poison: true, pad: "p".repeat(300) } : { i },
    }));
    await produce(input, events);
    const group = uniqueName("group");
    const gateway = await testGateway([await graphFile(scorer(input, output, dlq, group, client))]);

    // The good events before the poison one are written and committed while it waits.
    const before = await collect(output, 5);
    expect(before.map((o) => (JSON.parse(o.value) as { i: number }).i)).toEqual([0, 1, 2, 3, 4]);
    await waitUntil(
      async () => (await groupLag(group, input)) === 5,
      "offsets up to the poison event are committed",
      15_000,
    );
    await waitUntil(
      async () =>
        ((await metricValue(
          gateway.adminUrl,
          `sluice_stream_events_total{graph="dlqwrite",trigger="kafka:${input}",outcome="dlq_failed"}`,
        )) ?? 0) >= 1,
      "the refused dead letter is counted",
      15_000,
    );
    // Nothing after it went by: the partition waits on it.
    expect(await groupLag(group, input)).toBe(5);

    await alterTopic(dlq, { "max.message.bytes": "1048588" });
    const [letter] = await collect(dlq, 1, 60_000);
    expect(letter?.headers["x-sluice-source-offset"]).toBe("5");
    const all = await collect(output, 9, 60_000);
    expect(all.map((o) => (JSON.parse(o.value) as { i: number }).i)).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9]);
    await waitUntil(async () => (await groupLag(group, input)) === 0, "every offset is committed", 30_000);
  });
});
