import { describe, expect, it } from "vitest";
import { type KafkaTrigger as KafkaSpec, loadGraph } from "../../src/graph/index.js";
import { kafkaConfig } from "../../src/triggers/kafka/client.js";
import { resolveStream } from "../../src/triggers/queue/stream-url.js";
import { memoryLogger } from "../helpers/graphs.js";
import { kafkaGraphFile } from "../helpers/kafka-streams.js";

/** A graph with a Kafka trigger on a SASL/TLS cluster and a queue step, as a user writes it. */
function secureGraph(): Promise<string> {
  return kafkaGraphFile(`apiVersion: sluice/v1
kind: Graph
metadata: {name: secure}
spec:
  steps:
    a: {handler: ./kafka-steps.mjs#markA}
    audit: {kind: queue, stream: "kafka://audit", after: [a]}
    elsewhere: {kind: queue, stream: "kafka://other-cluster:9093/audit", after: [a]}
    b: {handler: ./kafka-steps.mjs#markB, after: [audit]}
    c: {handler: ./kafka-steps.mjs#markB, after: [elsewhere]}
  responder: a
  triggers:
    - kind: kafka
      brokers: [kafka-1.example:9093, kafka-2.example:9093]
      topics: [tx]
      group: secure
      clientId: fraud-scorer
      sasl: {mechanism: scram-sha-512, username: scorer, password: s3cret}
      ssl: {rejectUnauthorized: true, servername: kafka.example}
`);
}

describe("Kafka connection settings", () => {
  it("hands a trigger's SASL and TLS settings to kafkajs as the graph wrote them", async () => {
    const graph = await loadGraph(await secureGraph(), { logger: memoryLogger() });
    const trigger = graph.document.spec.triggers?.[0] as KafkaSpec;
    const config = kafkaConfig(trigger as Parameters<typeof kafkaConfig>[0], "sluice-secure", memoryLogger());
    expect(config).toMatchObject({
      brokers: ["kafka-1.example:9093", "kafka-2.example:9093"],
      clientId: "fraud-scorer",
      sasl: { mechanism: "scram-sha-512", username: "scorer", password: "s3cret" },
      ssl: { rejectUnauthorized: true, servername: "kafka.example" },
    });
  });

  it("passes SASL PLAIN and `ssl: true` through, and adds neither when the graph has none", () => {
    const logger = memoryLogger();
    const plain = kafkaConfig(
      { brokers: ["b:9092"], sasl: { mechanism: "plain", username: "u", password: "p" }, ssl: true },
      "sluice-x",
      logger,
    );
    expect(plain).toMatchObject({
      clientId: "sluice-x",
      sasl: { mechanism: "plain", username: "u", password: "p" },
      ssl: true,
    });
    const bare = kafkaConfig({ brokers: ["b:9092"] }, "sluice-x", logger);
    expect(bare).not.toHaveProperty("sasl");
    expect(bare).not.toHaveProperty("ssl");
  });

  it("connects a queue step on the trigger's cluster with the trigger's SASL and TLS, and never hands them to another cluster", async () => {
    const graph = await loadGraph(await secureGraph(), { logger: memoryLogger() });
    const own = resolveStream("kafka://audit", graph.document, {});
    expect(own).toEqual({
      kind: "kafka",
      brokers: ["kafka-1.example:9093", "kafka-2.example:9093"],
      topic: "audit",
      sasl: { mechanism: "scram-sha-512", username: "scorer", password: "s3cret" },
      ssl: { rejectUnauthorized: true, servername: "kafka.example" },
    });
    expect(own?.kind === "kafka" && kafkaConfig(own, "sluice-queue", memoryLogger())).toMatchObject({
      sasl: { mechanism: "scram-sha-512" },
      ssl: { servername: "kafka.example" },
    });
    expect(resolveStream("kafka://other-cluster:9093/audit", graph.document, {})).toEqual({
      kind: "kafka",
      brokers: ["other-cluster:9093"],
      topic: "audit",
    });
  });
});
