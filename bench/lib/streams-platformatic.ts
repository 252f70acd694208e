/**
 * A bare @platformatic/kafka pipe for the stream bench, held side by side with the bare
 * kafkajs pipe (streams-kafka.ts) on the same broker and topics: is the maintained client
 * faster on this pipe? Same work and the same at-least-once discipline: consume → the three
 * steps → produce in chunks of at most `commitPolicy.sendEvery` (acks from all replicas, as
 * kafkajs's default), and an offset committed only after the outputs of its event and of every
 * earlier one are acknowledged, every `everyEvents` events or `everyMs` ms.
 */
import {
  Consumer,
  type Message,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  type MessageToProduce,
  ProduceAcks,
  Producer,
} from "@platformatic/kafka";
import { type BenchBody, type Pipe, transform } from "./streams-common.js";
import { commitPolicy, type KafkaBed } from "./streams-kafka.js";

/** Retries like sluice's client's (20, from 200 ms): a new topic's first moments ride out the same. */
const retry = { retries: 20, retryDelay: 200 };

export async function platformaticKafkaPipe(
  bed: KafkaBed,
  input: string,
  output: string,
  group: string,
): Promise<Pipe> {
  const base = { clientId: "bench-platformatic", bootstrapBrokers: bed.brokers, ...retry };
  const consumer = new Consumer({
    ...base,
    groupId: group,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
  });
  const producer = new Producer({ ...base, acks: ProduceAcks.ALL, autocreateTopics: true });
  const stream = await consumer.consume({
    topics: [input],
    mode: MessagesStreamModes.COMMITTED,
    fallbackMode: MessagesStreamFallbackModes.EARLIEST,
    autocommit: false,
  });
  let outputs: MessageToProduce[] = [];
  // The last event of each partition whose output is written: committing it commits its offset + 1.
  const written = new Map<number, Message>();
  let uncommitted = 0;
  let committedAt = Date.now();
  const commit = async () => {
    const last = [...written.values()];
    written.clear();
    uncommitted = 0;
    committedAt = Date.now();
    await Promise.all(last.map((m) => m.commit()));
  };
  let pending = new Map<number, Message>();
  const flush = async () => {
    if (outputs.length > 0) await producer.send({ messages: outputs });
    outputs = [];
    for (const [partition, m] of pending) written.set(partition, m);
    pending = new Map();
    if (uncommitted >= commitPolicy.everyEvents || Date.now() - committedAt >= commitPolicy.everyMs)
      await commit();
  };
  const loop = (async () => {
    for await (const m of stream as AsyncIterable<Message>) {
      const body = JSON.parse(m.value.toString("utf8")) as BenchBody;
      outputs.push({ topic: output, key: m.key, value: Buffer.from(JSON.stringify(transform(body))) });
      pending.set(m.partition, m);
      uncommitted++;
      // A chunk is written when full, or when the stream has nothing more buffered: no event
      // waits for one that has not been fetched yet.
      if (outputs.length >= commitPolicy.sendEvery || stream.readableLength === 0) await flush();
    }
  })();
  return {
    async stop() {
      await stream.close();
      await loop;
      await flush();
      await commit();
      await consumer.close();
      await producer.close();
    },
  };
}
