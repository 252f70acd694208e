import { describe, expect, it } from "vitest";
import { graphTriggers, QueueWriters, queueConsumers } from "../../src/triggers/index.js";
import { flow, graphOf, memoryLogger } from "../helpers/graphs.js";

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
});
