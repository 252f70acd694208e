import { describe, expect, it } from "vitest";
import { createTopic, kafkaBrokers, uniqueName } from "../helpers/brokers.js";
import { testGateway } from "../helpers/gateway.js";
import { clientLine, kafkaClientNames } from "../helpers/kafka-clients.js";
import { collect, graphFile, produce } from "../helpers/streams.js";

function streamGraph(
  input: string,
  output: string,
  dlq: string,
  group: string,
  client: string,
): Promise<string> {
  return graphFile(`apiVersion: sluice/v1
kind: Graph
metadata: {name: scorer}
spec:
  steps:
    score: {handler: ./steps.mjs#score}
    tag: {handler: ./steps.mjs#tag, after: [score]}
  triggers:
    - kind: kafka
      brokers: [${kafkaBrokers().join(", ")}]
      topics: [${input}]
      group: ${group}
      fromBeginning: true
      output: {topic: ${output}}
      dlq: {topic: ${dlq}, maxAttempts: 2}
${clientLine(client)}
`);
}

describe.each(kafkaClientNames)("the Kafka trigger on %s", (client) => {
  it("turns every event into exactly one output, in order per partition", async () => {
    const [input, output, dlq] = [await createTopic(6), await createTopic(6), await createTopic(1)];
    const events = Array.from({ length: 10_000 }, (_, i) => ({
      key: `k${i % 50}`,
      value: { i, key: `k${i % 50}` },
    }));
    await produce(input, events);
    await testGateway([await streamGraph(input, output, dlq, uniqueName("group"), client)]);

    const outputs = await collect(output, events.length);
    const values = outputs.map(
      (o) => JSON.parse(o.value) as { i: number; score: number; tagged: boolean; key: string },
    );
    expect(values.map((v) => v.i).sort((a, b) => a - b)).toEqual(events.map((e) => e.value.i));
    expect(values.every((v) => v.score === v.i * 2 && v.tagged)).toBe(true);
    // Keys are kept, and for each key the outputs come in the order the inputs were written.
    const byKey = new Map<string, number[]>();
    for (const [n, o] of outputs.entries()) {
      expect(o.key).toBe(values[n]?.key);
      byKey.set(o.key as string, [...(byKey.get(o.key as string) ?? []), values[n]?.i as number]);
    }
    for (const seq of byKey.values()) expect(seq).toEqual([...seq].sort((a, b) => a - b));
    expect(outputs[0]?.headers["x-sluice-event-id"]).toMatch(new RegExp(`^${input}/\\d/\\d+$`));
    // Keys land in the partitions kafkajs's default (Java-compatible murmur2) partitioner picks:
    // the test's producer used it for the input, so with as many partitions each output goes
    // to the partition number its input came from (the middle part of the event id).
    const moved = outputs.filter(
      (o) => o.partition !== Number(o.headers["x-sluice-event-id"]?.split("/")[1]),
    );
    expect(moved).toEqual([]);
  });

  it("dead-letters poison events with where and why in the headers, and goes on", async () => {
    const [input, output, dlq] = [await createTopic(1), await createTopic(1), await createTopic(1)];
    await produce(input, [
      { key: "a", value: { i: 1 } },
      { key: "b", value: { i: 2, poison: true } },
      { key: "c", value: "{not json" },
      { key: "d", value: { i: 4 } },
    ]);
    await testGateway([await streamGraph(input, output, dlq, uniqueName("group"), client)]);
    const letters = await collect(dlq, 2);
    const outputs = await collect(output, 2);
    expect(outputs.map((o) => JSON.parse(o.value).i)).toEqual([1, 4]);
    const [poison, garbled] = letters;
    expect(poison).toMatchObject({ key: "b", value: JSON.stringify({ i: 2, poison: true }) });
    expect(poison?.headers).toMatchObject({
      "x-sluice-error-step": "score",
      "x-sluice-error-code": "STEP_FAILED",
      "x-sluice-error-message": "poison event 2",
      "x-sluice-attempts": "2",
      "x-sluice-source-topic": input,
      "x-sluice-source-partition": "0",
      "x-sluice-source-offset": "1",
    });
    // Bad JSON is the message's own fault: no retries, straight to the DLQ.
    expect(garbled?.headers).toMatchObject({
      "x-sluice-error-step": "decode",
      "x-sluice-error-code": "BAD_INPUT",
      "x-sluice-attempts": "1",
      "x-sluice-source-offset": "2",
    });
  });
});
