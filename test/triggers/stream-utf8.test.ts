import { describe, expect, it } from "vitest";
import {
  createTopic,
  kafkaBrokers,
  kafkaClient,
  natsConnection,
  natsUrl,
  uniqueName,
} from "../helpers/brokers.js";
import { testGateway } from "../helpers/gateway.js";
import { jetstreamBed, jetstreamGraph, readStream, waitForCount } from "../helpers/nats-streams.js";
import { collect, graphFile } from "../helpers/streams.js";

/** A JSON document whose string holds bytes that are not UTF-8. */
const corrupted = Buffer.concat([
  Buffer.from('{"i": 1, "name": "ab'),
  Buffer.from([0xff, 0xfe]),
  Buffer.from('c"}'),
]);

describe("a stream message whose JSON is not valid UTF-8", () => {
  it("is dead-lettered from Kafka as bad input, never run with replaced characters", {
    timeout: 120_000,
  }, async () => {
    const [input, output, dlq] = [await createTopic(1), await createTopic(1), await createTopic(1)];
    const producer = kafkaClient().producer();
    await producer.connect();
    await producer.send({
      topic: input,
      messages: [
        { key: "bad", value: corrupted },
        { key: "good", value: JSON.stringify({ i: 2 }) },
      ],
    });
    await producer.disconnect();
    await testGateway([
      await graphFile(`apiVersion: sluice/v1
kind: Graph
metadata: {name: utf8}
spec:
  steps:
    score: {handler: ./steps.mjs#score}
  triggers:
    - kind: kafka
      brokers: [${kafkaBrokers().join(", ")}]
      topics: [${input}]
      group: ${uniqueName("group")}
      fromBeginning: true
      output: {topic: ${output}}
      dlq: {topic: ${dlq}}
`),
    ]);
    const [letter] = await collect(dlq, 1);
    expect(letter?.key).toBe("bad");
    expect(letter?.headers).toMatchObject({
      "x-sluice-error-step": "decode",
      "x-sluice-error-code": "BAD_INPUT",
      "x-sluice-attempts": "1",
    });
    expect(letter?.headers["x-sluice-error-message"]).toMatch(/UTF-8/);
    const outputs = await collect(output, 1);
    expect(outputs.map((o) => JSON.parse(o.value) as { i: number })).toEqual([{ i: 2, score: 4 }]);
  });

  it("is dead-lettered from JetStream as bad input", { timeout: 120_000 }, async () => {
    const s = await jetstreamBed(await natsConnection(), natsUrl());
    s.nc.publish(s.subject, corrupted);
    await testGateway([await jetstreamGraph(s, "    score: {handler: ./steps.mjs#score}")]);
    await waitForCount(s.nc, s.dlqStream, 1);
    const [letter] = await readStream(s.nc, s.dlqStream, 1);
    expect(letter?.headers).toMatchObject({ "x-sluice-error-code": "BAD_INPUT", "x-sluice-attempts": "1" });
  });
});
