import { join } from "node:path";
import type { Admin } from "kafkajs";
import { describe, expect, it, onTestFinished } from "vitest";
import { loadGraphText, type NatsTrigger as NatsSpec } from "../../src/graph/index.js";
import { type QueueConsumer, type QueueLinks, queueConsumers } from "../../src/triggers/queue/consumers.js";
import { flow, graphFixtures, memoryLogger } from "../helpers/graphs.js";

// The consumers made for a graph's broker-backed queue steps, on scripted links (no broker):
// which trigger each step gets, with which group and DLQ, and the queue topic made when
// missing. The same against real brokers is in kafka-queue*.test.ts and nats-queue*.test.ts.

/** Scripted links: Kafka topics that exist (and what the admin did), and subjects a stream captures. */
function scripted(
  options: { topics?: string[]; createFails?: Error; streams?: Record<string, string> } = {},
) {
  const log: string[] = [];
  const created: unknown[] = [];
  const admins: unknown[] = [];
  const links: QueueLinks = {
    kafkaAdmin: (target) => {
      admins.push(target);
      return {
        connect: async () => {
          log.push("connect");
        },
        listTopics: async () => options.topics ?? [],
        createTopics: async (request: unknown) => {
          log.push("create");
          if (options.createFails) throw options.createFails;
          created.push(request);
          return true;
        },
        disconnect: async () => {
          log.push("disconnect");
        },
      } as unknown as Admin;
    },
    streamCapturing: async (url, subject) => {
      log.push(`find ${url} ${subject}`);
      return options.streams?.[subject];
    },
  };
  return { links, log, created, admins };
}

/** A graph whose queue steps have a broker (a writer that writes nowhere: only the consumers matter here). */
async function graphOf(yaml: string) {
  const graph = await loadGraphText(yaml, join(graphFixtures, "inline.yaml"), {
    logger: memoryLogger(),
    queueWriter: () => async () => {},
  });
  onTestFinished(() => graph.close());
  return graph;
}

/** A graph with one queue step `q` (its settings given) between two steps. */
const oneQueue = (settings: string) =>
  graphOf(
    flow(`
      a: {handler: ./steps.mjs#inc}
      q: {kind: queue, ${settings}, after: [a]}
      b: {handler: ./steps.mjs#inc, after: [q]}
    `),
  );

/** The trigger spec a queue consumer was made with (every trigger kind keeps it). */
const specOf = (consumer: QueueConsumer | undefined) =>
  (consumer?.trigger as { spec?: Record<string, unknown> } | undefined)?.spec;

const context = () => {
  const logger = memoryLogger();
  return { graph: "g", logger };
};

describe("a graph's queue consumers", () => {
  it("consume a Kafka queue in the group <graph>-<step> from the beginning, creating its topic with 4 partitions", async () => {
    const graph = await graphOf(
      flow(`
        a: {handler: ./steps.mjs#inc}
        q.1: {kind: queue, stream: "kafka://k1:9092,k2:9092/tx", after: [a]}
        b: {handler: ./steps.mjs#inc, after: [q.1]}
      `),
    );
    const { links, log, created, admins } = scripted();
    const consumers = await queueConsumers(graph, context(), links);
    expect(consumers.map((c) => [c.step, c.trigger.kind, c.trigger.name])).toEqual([
      ["q.1", "kafka", "kafka:tx"],
    ]);
    expect(specOf(consumers[0])).toStrictEqual({
      kind: "kafka",
      brokers: ["k1:9092", "k2:9092"],
      topics: ["tx"],
      group: "test-q_1",
      fromBeginning: true,
    });
    expect(admins).toEqual([{ kind: "kafka", brokers: ["k1:9092", "k2:9092"], topic: "tx" }]);
    expect(created).toEqual([{ topics: [{ topic: "tx", numPartitions: 4 }], waitForLeaders: true }]);
    expect(log).toEqual(["connect", "create", "disconnect"]);
  });

  it("create a queue topic with the step's partitions, and dead-letter to the step's DLQ after its attempts", async () => {
    const graph = await oneQueue(
      'stream: "kafka://k1:9092/tx", partitions: 12, dlq: {topic: tx-dlq, maxAttempts: 7}',
    );
    const { links, created } = scripted();
    const [consumer] = await queueConsumers(graph, context(), links);
    expect(specOf(consumer)?.dlq).toEqual({ topic: "tx-dlq", maxAttempts: 7 });
    expect(created).toEqual([{ topics: [{ topic: "tx", numPartitions: 12 }], waitForLeaders: true }]);
  });

  it("leave the DLQ's attempts to the trigger's default when the step does not say", async () => {
    const graph = await oneQueue('stream: "kafka://k1:9092/tx", dlq: {topic: tx-dlq}');
    const [consumer] = await queueConsumers(graph, context(), scripted().links);
    expect(specOf(consumer)?.dlq).toStrictEqual({ topic: "tx-dlq" });
  });

  it("leave a queue topic that exists as it is, saying so at debug level only", async () => {
    const graph = await oneQueue('stream: "kafka://k1:9092/tx"');
    const { links, log } = scripted({ topics: ["other", "tx"] });
    const ctx = context();
    await queueConsumers(graph, ctx, links);
    expect(log).toEqual(["connect", "disconnect"]);
    expect(ctx.logger.lines).toEqual([
      { level: "debug", obj: { topic: "tx" }, msg: "the queue's topic exists" },
    ]);
  });

  it("still make the consumer when the topic cannot be created, with one warning saying which", async () => {
    const graph = await oneQueue('stream: "kafka://k1:9092/tx"');
    const refused = new Error("TOPIC_AUTHORIZATION_FAILED");
    const { links, log } = scripted({ createFails: refused });
    const ctx = context();
    const consumers = await queueConsumers(graph, ctx, links);
    expect(consumers).toHaveLength(1);
    expect(log).toEqual(["connect", "create", "disconnect"]);
    expect(ctx.logger.lines).toEqual([
      { level: "warn", obj: { err: refused, topic: "tx" }, msg: "could not create the queue's topic" },
    ]);
  });

  it("connect a queue on the trigger's cluster as the trigger does (SASL, TLS)", async () => {
    const graph = await graphOf(
      flow(
        `
        a: {handler: ./steps.mjs#inc}
        q: {kind: queue, stream: "kafka://tx", after: [a]}
        b: {handler: ./steps.mjs#inc, after: [q]}
      `,
        `triggers:
  - {kind: kafka, brokers: ["k1:9093"], topics: [in], group: g, ssl: true, sasl: {mechanism: plain, username: u, password: p}}`,
      ),
    );
    const [consumer] = await queueConsumers(graph, context(), scripted().links);
    expect(specOf(consumer)).toMatchObject({
      brokers: ["k1:9093"],
      ssl: true,
      sasl: { mechanism: "plain", username: "u", password: "p" },
    });
  });

  it("consume a NATS subject that a stream captures with a JetStream durable consumer named after the step, with its DLQ", async () => {
    const graph = await oneQueue('stream: "nats://n1:4222/tx.q", dlq: {subject: tx.dlq, maxAttempts: 3}');
    const { links, log } = scripted({ streams: { "tx.q": "TXQ" } });
    const [consumer] = await queueConsumers(graph, context(), links);
    expect(log).toEqual(["find nats://n1:4222 tx.q"]);
    expect(consumer?.trigger.name).toBe("jetstream:TXQ/test-q");
    expect(specOf(consumer)).toEqual({
      kind: "nats",
      url: "nats://n1:4222",
      subject: "tx.q",
      jetstream: { stream: "TXQ", durable: "test-q", maxDeliver: 3 },
      dlq: { subject: "tx.dlq" },
    } satisfies NatsSpec);
  });

  it("leave the JetStream deliveries to the trigger's default, and set no DLQ, when the step does not say", async () => {
    const graph = await oneQueue('stream: "nats://n1:4222/tx.q"');
    const [consumer] = await queueConsumers(graph, context(), scripted({ streams: { "tx.q": "TXQ" } }).links);
    expect(specOf(consumer)).toStrictEqual({
      kind: "nats",
      url: "nats://n1:4222",
      subject: "tx.q",
      jetstream: { stream: "TXQ", durable: "test-q" },
    });
  });

  it("consume a NATS subject no stream captures with core NATS in the queue group <graph>-<step>", async () => {
    const graph = await oneQueue('stream: "nats://n1:4222/tx.q", dlq: {subject: tx.dlq}');
    const [consumer] = await queueConsumers(graph, context(), scripted().links);
    expect(consumer?.trigger.name).toBe("nats:tx.q");
    expect(specOf(consumer)).toEqual({
      kind: "nats",
      url: "nats://n1:4222",
      subject: "tx.q",
      queue: "test-q",
    } satisfies NatsSpec);
  });

  it("make none for a queue marked consume: false (a deployed function consumes it)", async () => {
    const graph = await graphOf(
      flow(`
        a: {handler: ./steps.mjs#inc}
        q: {kind: queue, stream: "kafka://k1:9092/tx", consume: false, after: [a]}
        b: {handler: ./steps.mjs#inc, after: [q]}
        r: {kind: queue, stream: "nats://n1:4222/tx.r", after: [b]}
        c: {handler: ./steps.mjs#inc, after: [r]}
      `),
    );
    const { links, log } = scripted();
    const consumers = await queueConsumers(graph, context(), links);
    expect(consumers.map((c) => c.step)).toEqual(["r"]);
    expect(log).toEqual(["find nats://n1:4222 tx.r"]);
  });
});
