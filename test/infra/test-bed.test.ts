import { AckPolicy, DeliverPolicy } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import {
  createTopic,
  jetstream,
  jetstreamManager,
  kafkaClient,
  natsConnection,
  uniqueName,
} from "../helpers/brokers.js";

describe("the test bed's Kafka broker", () => {
  it("delivers 1,000 messages to a consumer group and keeps its committed offsets", async () => {
    const topic = await createTopic(3);
    const groupId = uniqueName("group");
    const kafka = kafkaClient();
    const producer = kafka.producer();
    await producer.connect();
    const sent = Array.from({ length: 1000 }, (_, i) => ({ key: `k${i % 17}`, value: `message-${i}` }));
    await producer.send({ topic, messages: sent });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const received: string[] = [];
    const lastOffset = new Map<number, number>();
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          received.push(message.value?.toString() ?? "");
          lastOffset.set(partition, Number(message.offset));
          if (received.length === sent.length) resolve();
        },
      });
    });
    await consumer.disconnect(); // commits the offsets of everything processed

    expect(received.sort()).toEqual(sent.map((m) => m.value).sort());
    const admin = kafka.admin();
    await admin.connect();
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    await admin.disconnect();
    const committedByPartition = new Map(committed?.partitions.map((p) => [p.partition, Number(p.offset)]));
    for (const [partition, offset] of lastOffset) {
      expect(committedByPartition.get(partition)).toBe(offset + 1);
    }
    const total = [...committedByPartition.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(sent.length);
  });
});

describe("the test bed's nats-server", () => {
  it("publishes and subscribes through NATS core", async () => {
    const nc = await natsConnection();
    const subject = uniqueName("subject");
    const sub = nc.subscribe(subject, { max: 10 });
    for (let i = 0; i < 10; i++) nc.publish(subject, `hello ${i}`);
    const got: string[] = [];
    for await (const msg of sub) got.push(msg.string());
    expect(got).toEqual(Array.from({ length: 10 }, (_, i) => `hello ${i}`));
  });

  it("consumes with acks through a JetStream durable consumer, which remembers what was acked", async () => {
    const nc = await natsConnection();
    const jsm = await jetstreamManager(nc);
    const stream = uniqueName("STREAM").toUpperCase();
    const subject = `${stream.toLowerCase()}.events`;
    await jsm.streams.add({ name: stream, subjects: [subject] });
    const durable = uniqueName("durable");
    await jsm.consumers.add(stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: 1_000_000_000, // 1 s, in nanoseconds
    });
    const js = jetstream(nc);
    for (let i = 0; i < 20; i++) await js.publish(subject, JSON.stringify({ i }));

    const consumer = await js.consumers.get(stream, durable);
    const first = await consumer.fetch({ max_messages: 20, expires: 5000 });
    const seen: number[] = [];
    for await (const msg of first) {
      seen.push(msg.json<{ i: number }>().i);
      if (seen.length <= 15) await msg.ackAck(); // the last 5 are left unacked...
      if (seen.length === 20) break;
    }
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const info = await consumer.info();
    expect(info.num_ack_pending).toBe(5); // ...and JetStream still holds them

    const redelivered: number[] = [];
    for await (const msg of await consumer.fetch({ max_messages: 5, expires: 5000 })) {
      redelivered.push(msg.json<{ i: number }>().i);
      expect(msg.info.redelivered).toBe(true);
      await msg.ackAck();
      if (redelivered.length === 5) break;
    }
    expect(redelivered).toEqual([15, 16, 17, 18, 19]);
    expect((await consumer.info()).num_ack_pending).toBe(0);
    await jsm.consumers.delete(stream, durable);
    await jsm.streams.delete(stream);
  });
});
