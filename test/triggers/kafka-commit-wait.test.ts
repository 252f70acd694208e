import { describe, expect, it } from "vitest";
import { createTopic, kafkaBrokers, uniqueName } from "../helpers/brokers.js";
import { testGateway } from "../helpers/gateway.js";
import { clientLine, kafkaClientNames } from "../helpers/kafka-clients.js";
import { groupLag, waitUntil } from "../helpers/kafka-streams.js";
import { collect, graphFile, produce } from "../helpers/streams.js";

describe.each(kafkaClientNames)(
  "a Kafka partition waiting on an event that keeps failing (no DLQ), on %s",
  (client) => {
    it("commits the events before it by the commit policy while it waits, so a crash does not repeat them", {
      timeout: 120_000,
    }, async () => {
      const [input, output] = [await createTopic(1), await createTopic(1)];
      await produce(
        input,
        Array.from({ length: 8 }, (_, i) => ({ key: `k${i}`, value: i === 5 ? { i, poison: true } : { i } })),
      );
      const group = uniqueName("group");
      await testGateway([
        await graphFile(`apiVersion: sluice/v1
kind: Graph
metadata: {name: waits}
spec:
  steps:
    score: {handler: ./steps.mjs#score}
  triggers:
    - kind: kafka
      brokers: [${kafkaBrokers().join(", ")}]
      topics: [${input}]
      group: ${group}
      fromBeginning: true
      commit: {everyMs: 300}
      output: {topic: ${output}}
${clientLine(client)}
`),
      ]);
      const outputs = await collect(output, 5);
      expect(outputs.map((o) => (JSON.parse(o.value) as { i: number }).i)).toEqual([0, 1, 2, 3, 4]);
      await waitUntil(async () => (await groupLag(group, input)) === 3, "offsets 0-4 are committed", 10_000);
    });
  },
);
