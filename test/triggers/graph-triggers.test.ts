import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { loadGraphText } from "../../src/graph/index.js";
import { graphTriggers, QueueWriters, queueConsumers } from "../../src/triggers/index.js";
import { flow, graphFixtures, graphOf, memoryLogger } from "../helpers/graphs.js";

const context = () => ({ graph: "g", logger: memoryLogger() });

describe("a graph's triggers", () => {
  it("are made from its spec, broker clients imported only when they start", async () => {
    const graph = await graphOf(
      flow(
        "a: {handler: ./steps.mjs#inc}",
        `triggers:
  - {kind: http}
  - {kind: kafka, brokers: ["127.0.0.1:9"], topics: [tx, audit], group: g}
  - {kind: nats, url: "nats://127.0.0.1:9", subject: in.x}
  - {kind: nats, url: "nats://127.0.0.1:9", subject: in.y, jetstream: {stream: IN, durable: d}}
  - {kind: cron, interval: 1h}`,
      ),
    );
    const triggers = graphTriggers(graph, context());
    expect(triggers.map((t) => [t.kind, t.name, t.state])).toEqual([
      ["kafka", "kafka:tx,audit", "created"],
      ["nats", "nats:in.x", "created"],
      ["nats", "jetstream:IN/d", "created"],
      ["cron", "cron:1h", "created"],
    ]);
    expect(graphTriggers(await graphOf(flow("a: {handler: ./steps.mjs#inc}")), context())).toEqual([]);
  });

  it("consume no queue and write to none for a graph whose queues have no broker", async () => {
    const graph = await graphOf(
      flow(`
        a: {handler: ./steps.mjs#inc}
        q: {kind: queue, after: [a]}
        b: {handler: ./steps.mjs#inc, after: [q]}
      `),
    );
    expect(await queueConsumers(graph, context())).toEqual([]);
    const writers = new QueueWriters(memoryLogger());
    expect(writers.writerFor("kafka://audit", graph.document)).toBeUndefined();
    expect(writers.writerFor("memory://audit", graph.document)).toBeUndefined();
    await writers.close();
  });

  it("start a NATS trigger, core or JetStream, once imported: a server that is not there fails start saying which", async () => {
    const graph = await graphOf(
      flow(
        "a: {handler: ./steps.mjs#inc}",
        `triggers:
  - {kind: nats, url: "nats://127.0.0.1:1", subject: in.x}
  - {kind: nats, url: "nats://127.0.0.1:1", subject: in.y, jetstream: {stream: IN, durable: d}}`,
      ),
    );
    for (const trigger of graphTriggers(graph, context())) {
      await expect(trigger.start(() => undefined)).rejects.toThrow(
        "cannot connect to NATS at nats://127.0.0.1:1",
      );
    }
  });

  it("consume a broker-backed queue through the queue consumers: a NATS server that is not there fails saying which", async () => {
    const graph = await loadGraphText(
      flow(`
        a: {handler: ./steps.mjs#inc}
        q: {kind: queue, stream: "nats://127.0.0.1:1/tx", after: [a]}
        b: {handler: ./steps.mjs#inc, after: [q]}
      `),
      join(graphFixtures, "inline.yaml"),
      { logger: memoryLogger(), queueWriter: () => async () => {} },
    );
    onTestFinished(() => graph.close());
    await expect(queueConsumers(graph, context())).rejects.toThrow(
      "cannot connect to NATS at nats://127.0.0.1:1",
    );
  });

  it("write a queue step through its broker's writer: a NATS server that is not there fails each write saying which", async () => {
    const writers = new QueueWriters(memoryLogger());
    const doc = { spec: {} } as Parameters<QueueWriters["writerFor"]>[1];
    const write = writers.writerFor("nats://127.0.0.1:1/tx", doc);
    const event = {
      id: "e",
      body: {},
      path: "/",
      method: "POST",
      headers: {},
      key: undefined,
      time: 0,
      trigger: { kind: "http", name: "http" },
    };
    await expect(write?.({}, event)).rejects.toThrow("cannot connect to NATS at nats://127.0.0.1:1");
    await expect(write?.({}, event)).rejects.toThrow("cannot connect to NATS at nats://127.0.0.1:1");
    await writers.close();
  });
});
