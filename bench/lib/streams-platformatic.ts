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
import { commitPolicy, eventIdHeader, type KafkaBed } from "./streams-kafka.js";

/** Retries like sluice's client's (20, from 200 ms): a new topic's first moments ride out the same. */
const retry = { retries: 20, retryDelay: 200 };

/**
 * Up to this many writes in flight, as the kafkajs pipe has one per partition being consumed
 * (6 here): one awaited write at a time would hold this pipe to one broker round trip per chunk.
 */
const writesInFlight = 4;

const eventIdKey = Buffer.from(eventIdHeader);

/** The pipe; with `withEventId`, each output carries sluice's event id header, as the kafkajs pipe's can. */
export async function platformaticKafkaPipe(
  bed: KafkaBed,
  input: string,
  output: string,
  group: string,
  withEventId = false,
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
  // The last event of each partition in `outputs`, then, once written, in `written`:
  // committing a message commits its offset + 1.
  let pending = new Map<number, Message>();
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
  // Writes settle in the order they were made (each waits for the one before), so an offset is
  // marked written only once every earlier output is acknowledged too.
  let previous: Promise<void> = Promise.resolve();
  const writes: Promise<void>[] = [];
  const flush = async () => {
    if (outputs.length > 0) {
      const [chunk, lastOfChunk] = [outputs, pending];
      outputs = [];
      pending = new Map();
      const write = Promise.all([previous, producer.send({ messages: chunk })]).then(() => {
        for (const [partition, m] of lastOfChunk) written.set(partition, m);
      });
      write.catch(() => undefined); // a failure is thrown where the write is awaited
      previous = write;
      writes.push(write);
      if (writes.length >= writesInFlight) await writes.shift();
    }
    if (uncommitted >= commitPolicy.everyEvents || Date.now() - committedAt >= commitPolicy.everyMs)
      await commit();
  };
  const loop = (async () => {
    for await (const m of stream as AsyncIterable<Message>) {
      const body = JSON.parse(m.value.toString("utf8")) as BenchBody;
      const value = Buffer.from(JSON.stringify(transform(body)));
      // Header names and values are Buffers with the client's default serialisers.
      const id = withEventId ? Buffer.from(`${m.topic}/${m.partition}/${m.offset}`) : undefined;
      outputs.push(
        id
          ? { topic: output, key: m.key, value, headers: new Map([[eventIdKey, id]]) }
          : { topic: output, key: m.key, value },
      );
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
      await Promise.all(writes.splice(0));
      await commit();
      await consumer.close();
      await producer.close();
    },
  };
}
