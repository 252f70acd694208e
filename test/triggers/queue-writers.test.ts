import type { Producer } from "kafkajs";
import { describe, expect, it } from "vitest";
import type { GraphDocument, GraphEvent } from "../../src/graph/index.js";
import { QueueWriters as GatewayWriters } from "../../src/triggers/index.js";
import { QueueWriters, type WriterLinks } from "../../src/triggers/queue/writers.js";
import { memoryLogger } from "../helpers/graphs.js";
import { ScriptedNats } from "../helpers/scripted-nats.js";

// What a queue step writes, and through which producer, on scripted links (no broker). The
// same against real brokers is in kafka-queue*.test.ts and nats-queue*.test.ts.

const doc = (triggers: unknown[] = []) => ({ spec: { steps: {}, triggers } }) as unknown as GraphDocument;

const event = (over: Partial<GraphEvent> = {}): GraphEvent => ({
  id: "e-1",
  body: {},
  path: "/",
  method: "POST",
  headers: { traceparent: "00-t-s-01", other: "x" },
  key: undefined,
  time: 1_700_000_000_000,
  trigger: { kind: "http", name: "http" },
  ...over,
});

/** Scripted links: Kafka producers made (by brokers and user), what each sent; NATS on a ScriptedNats. */
/** `connectFailures`: what each Kafka connection in turn fails with (undefined: it is made). */
function scripted(options: { connectFailures?: (Error | undefined)[] } = {}) {
  const log: string[] = [];
  const sent: { topic: string; key: unknown; value: unknown }[] = [];
  const nats = new ScriptedNats();
  const links: WriterLinks = {
    kafkaProducer: (target) => {
      const who = `${target.brokers.join(",")}${target.sasl ? ` ${(target.sasl as { username: string }).username}` : ""}${target.ssl ? " tls" : ""}`;
      log.push(`producer ${who}`);
      return {
        connect: async () => {
          log.push(`connect ${who}`);
          const failure = options.connectFailures?.shift();
          if (failure) throw failure;
        },
        send: async ({
          topic,
          messages,
        }: {
          topic: string;
          messages: { key: unknown; value: unknown }[];
        }) => {
          for (const m of messages) sent.push({ topic, key: m.key, value: JSON.parse(String(m.value)) });
          return [];
        },
        disconnect: async () => {
          log.push(`disconnect ${who}`);
        },
      } as unknown as Producer;
    },
    nats: (url) => {
      log.push(`nats ${url}`);
      return nats.links;
    },
  };
  return { writers: new QueueWriters(memoryLogger(), links), links, log, sent, nats };
}

describe("queue writers", () => {
  it("have no writer for a stream without a broker", () => {
    const { writers } = scripted();
    expect(writers.writerFor("kafka://audit", doc())).toBeUndefined();
    expect(writers.writerFor("memory://audit", doc())).toBeUndefined();
  });

  it("write the event's envelope to the queue's topic, keyed by the event's key, or its id without one", async () => {
    const { writers, sent } = scripted();
    const write = writers.writerFor("kafka://k1:9092/tx", doc());
    await write?.({ score: 1 }, event({ key: "user-7" }));
    await write?.({ score: 2 }, event());
    expect(sent).toEqual([
      {
        topic: "tx",
        key: "user-7",
        value: {
          full_event_wrapper: true,
          id: "e-1",
          key: "user-7",
          body: { score: 1 },
          headers: { traceparent: "00-t-s-01" },
          time: 1_700_000_000_000,
        },
      },
      expect.objectContaining({ key: "e-1" }),
    ]);
  });

  it("share one connected producer per cluster and identity among queues, however many write", async () => {
    const { writers, log } = scripted();
    const trigger = { kind: "kafka", brokers: ["k1:9092"], topics: ["in"] };
    const a = writers.writerFor("kafka://k1:9092/a", doc());
    const b = writers.writerFor("kafka://k1:9092/b", doc());
    const asUser = (username: string) =>
      writers.writerFor(
        "kafka://a",
        doc([{ ...trigger, sasl: { mechanism: "plain", username, password: "p" } }]),
      );
    const overTls = writers.writerFor("kafka://a", doc([{ ...trigger, ssl: true }]));
    await Promise.all([a?.(1, event()), b?.(2, event()), a?.(3, event())]);
    await asUser("u")?.(4, event());
    await asUser("v")?.(5, event());
    await asUser("u")?.(6, event());
    await overTls?.(7, event());
    expect(log).toEqual([
      "producer k1:9092",
      "connect k1:9092",
      "producer k1:9092 u",
      "connect k1:9092 u",
      "producer k1:9092 v",
      "connect k1:9092 v",
      "producer k1:9092 tls",
      "connect k1:9092 tls",
    ]);
    await writers.close();
    expect(log.filter((l) => l.startsWith("disconnect"))).toHaveLength(4);
  });

  it("make a new producer for the next write after one could not connect, the failed write rejecting", async () => {
    const refused = new Error("broker away");
    const { writers, log, sent } = scripted({ connectFailures: [refused] });
    const write = writers.writerFor("kafka://k1:9092/tx", doc());
    await expect(write?.(1, event())).rejects.toBe(refused);
    await write?.(2, event());
    expect(log).toEqual(["producer k1:9092", "connect k1:9092", "producer k1:9092", "connect k1:9092"]);
    expect(sent).toHaveLength(1);
    await writers.close();
    expect(log.filter((l) => l.startsWith("disconnect"))).toHaveLength(1);
  });

  it("publish to a NATS subject a stream captures with the stream's ack, and to one it does not on core NATS", async () => {
    const { writers, nats, log } = scripted();
    nats.captured.add("tx.kept");
    const kept = writers.writerFor("nats://n1:4222/tx.kept", doc());
    const lost = writers.writerFor("nats://n1:4222/tx.lost", doc());
    await kept?.({ a: 1 }, event());
    await kept?.({ a: 2 }, event());
    await lost?.({ a: 3 }, event());
    expect(nats.log).toEqual([
      "js publish tx.kept",
      "published tx.kept",
      "js publish tx.kept",
      "published tx.kept",
      "publish tx.lost",
    ]);
    expect(JSON.parse(nats.published[0]?.text ?? "")).toMatchObject({
      full_event_wrapper: true,
      id: "e-1",
      body: { a: 1 },
    });
    // One connection per server.
    expect(log).toEqual(["nats nats://n1:4222"]);
    await writers.close();
    expect(nats.log.at(-1)).toBe("close");
  });

  it("look up whether a stream captures a subject once per subject", async () => {
    const { writers, nats } = scripted();
    let lookups = 0;
    const manager = nats.links.manager;
    nats.links.manager = async (nc) => {
      lookups++;
      return manager(nc);
    };
    const write = writers.writerFor("nats://n1:4222/tx", doc());
    await write?.(1, event());
    await write?.(2, event());
    expect(lookups).toBe(1);
    await writers.writerFor("nats://n1:4222/other", doc())?.(3, event());
    expect(lookups).toBe(2);
  });

  it("connect to a NATS server afresh after a connection that could not be made", async () => {
    const { writers, nats, log } = scripted();
    const connect = nats.links.connect;
    const refused = new Error("cannot connect to NATS at nats://n1:4222");
    let failures = 1;
    nats.links.connect = async () => {
      if (failures-- > 0) throw refused;
      return connect();
    };
    const write = writers.writerFor("nats://n1:4222/tx", doc());
    await expect(write?.(1, event())).rejects.toBe(refused);
    await write?.(2, event());
    expect(log).toEqual(["nats nats://n1:4222", "nats nats://n1:4222"]);
    expect(nats.published).toHaveLength(1);
    await writers.close();
    expect(nats.log.filter((l) => l === "close")).toHaveLength(1);
  });

  it("close while a connection is still being made and then fails, disconnecting those that were made", async () => {
    const refused = new Error("broker away");
    const { writers, log, nats } = scripted({ connectFailures: [undefined, refused] });
    await writers.writerFor("kafka://k1:9092/tx", doc())?.(1, event());
    let refuseNats: (error: Error) => void = () => {};
    nats.links.connect = () =>
      new Promise((_, reject) => {
        refuseNats = reject;
      });
    const failing = Promise.allSettled([
      writers.writerFor("kafka://k2:9092/tx", doc())?.(2, event()),
      writers.writerFor("nats://n1:4222/tx", doc())?.(3, event()),
    ]);
    const closing = writers.close();
    await new Promise((resolve) => setImmediate(resolve));
    refuseNats(new Error("cannot connect to NATS at nats://n1:4222"));
    expect((await failing).map((f) => f.status === "rejected" && (f.reason as Error).message)).toEqual([
      "broker away",
      "cannot connect to NATS at nats://n1:4222",
    ]);
    await expect(closing).resolves.toBeUndefined();
    expect(log.filter((l) => l.startsWith("disconnect"))).toEqual(["disconnect k1:9092"]);
  });
});

describe("a gateway's queue writers (the broker clients imported on first use)", () => {
  it("write through the producer of the queue's cluster, and disconnect it on close", async () => {
    const { links, log, sent } = scripted();
    const writers = new GatewayWriters(memoryLogger(), links);
    const write = writers.writerFor("kafka://k1:9092/tx", doc());
    await write?.({ score: 1 }, event());
    await write?.({ score: 2 }, event());
    expect(sent.map((s) => (s.value as { body: unknown }).body)).toEqual([{ score: 1 }, { score: 2 }]);
    await writers.close();
    expect(log).toEqual(["producer k1:9092", "connect k1:9092", "disconnect k1:9092"]);
  });

  it("close at once when no queue wrote through a broker", async () => {
    const { links, log } = scripted();
    const writers = new GatewayWriters(memoryLogger(), links);
    expect(writers.writerFor("memory://audit", doc())).toBeUndefined();
    await writers.close();
    expect(log).toEqual([]);
  });
});
