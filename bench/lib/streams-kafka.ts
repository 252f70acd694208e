/**
 * Kafka for the stream bench: a broker of the bench's own (test/infra), topics, counts and
 * latencies read back, and the two contenders: sluice's Kafka trigger in an in-process
 * gateway, and a bare kafkajs pipe with the same commit policy.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type Admin, Kafka, logLevel, type Message, Partitioners, type Producer } from "kafkajs";
import { type RunningKafka, startKafka } from "../../test/infra/kafka-broker.js";
import {
  type BenchBody,
  eventJson,
  gatewayFor,
  outputBody,
  type Pipe,
  threeSteps,
  transform,
} from "./streams-common.js";

/** The retries sluice's client uses (src/triggers/kafka/client.ts), so both sides ride out the same hiccups. */
const retry = { retries: 20, initialRetryTime: 200, maxRetryTime: 5_000 };

/**
 * The trigger's commit policy (its defaults), which the bare pipe copies. `sendEvery` is the
 * trigger's chunk (`flushEvery`): a whole fetched batch (up to 1 MB a partition) sent at once
 * makes a record batch over the broker's default message.max.bytes, which the broker refuses.
 */
export const commitPolicy = { everyEvents: 1000, everyMs: 1000, partitionsConcurrently: 64, sendEvery: 500 };

export class KafkaBed {
  #topics = 0;

  private constructor(
    readonly broker: RunningKafka,
    readonly workDir: string,
    readonly kafka: Kafka,
    readonly admin: Admin,
    readonly producer: Producer,
  ) {}

  /** Starts a single-node broker on free loopback ports (test/infra/kafka-broker.ts). */
  static async start(): Promise<KafkaBed> {
    const workDir = await mkdtemp(join(tmpdir(), "sluice-bench-kafka-"));
    const broker = await startKafka(workDir);
    // Quiet: a new topic's "not the leader" moments are retried here, and a real failure throws.
    const kafka = new Kafka({
      clientId: "bench",
      brokers: broker.brokers,
      logLevel: logLevel.NOTHING,
      retry,
    });
    const admin = kafka.admin();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await admin.connect();
    await producer.connect();
    return new KafkaBed(broker, workDir, kafka, admin, producer);
  }

  get brokers(): string[] {
    return this.broker.brokers;
  }

  /**
   * A fresh topic (never deleted: the broker and its data go when the bench ends). Outputs are stamped by the broker when appended (LogAppendTime), so an
   * output's timestamp minus its input's `at` is the whole way through, on one clock.
   */
  async topic(prefix: string, partitions: number, stampOnAppend = false): Promise<string> {
    const topic = `${prefix}-${++this.#topics}-${Date.now().toString(36)}`;
    await this.admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: partitions,
          ...(stampOnAppend
            ? { configEntries: [{ name: "message.timestamp.type", value: "LogAppendTime" }] }
            : {}),
        },
      ],
      waitForLeaders: false,
    });
    // A just-created topic's partitions may answer "unknown" or "not the leader" for a moment.
    await this.count(topic);
    return topic;
  }

  /** Writes events 0 .. n-1, a few sends in flight. */
  async fill(topic: string, n: number, perSend = 4_000, inFlight = 4): Promise<void> {
    let next = 0;
    const lane = async () => {
      while (next < n) {
        const from = next;
        next = Math.min(n, next + perSend);
        const messages = [];
        for (let i = from; i < next; i++) messages.push(eventJson(i, Date.now()));
        await this.producer.send({ topic, messages });
      }
    };
    await Promise.all(Array.from({ length: inFlight }, lane));
  }

  async send(topic: string, messages: { key: string; value: string }[]): Promise<void> {
    await this.producer.send({ topic, messages });
  }

  /** How many messages a topic holds: the sum of its partitions' end offsets. */
  async count(topic: string): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        const offsets = await this.admin.fetchTopicOffsets(topic);
        return offsets.reduce((sum, p) => sum + Number(p.high), 0);
      } catch (error) {
        // Leadership settling on a new topic: retriable, and it passes within a second or so.
        if (attempt >= 50 || !(error as { retriable?: boolean }).retriable) throw error;
        await sleep(100);
      }
    }
  }

  /**
   * Reads the `count` outputs of a steady run: for each, its event number and its latency in
   * ms (the broker's append time minus the event's `at`).
   */
  async latencies(topic: string, count: number, timeoutMs = 60_000): Promise<{ i: number; ms: number }[]> {
    const consumer = this.kafka.consumer({ groupId: `${topic}-reader`, maxBytes: 16 << 20 });
    const got: { i: number; ms: number }[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`read ${got.length} of ${count} outputs of ${topic}`)),
          timeoutMs,
        );
        void consumer.run({
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) {
              const body = outputBody(m.value?.toString() ?? "null");
              got.push({ i: body.i, ms: Number(m.timestamp) - body.at });
            }
            if (got.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
    } finally {
      await consumer.disconnect();
    }
    return got;
  }

  async close(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
    await this.broker.stop();
    await rm(this.workDir, { recursive: true, force: true });
  }
}

/** sluice: an in-process gateway whose graph's Kafka trigger reads `input` with a fresh group. */
export async function sluiceKafkaPipe(
  bed: KafkaBed,
  input: string,
  output: string,
  group: string,
  client: "kafkajs" | "platformatic" = "kafkajs",
): Promise<Pipe> {
  const gateway = await gatewayFor(
    [
      "apiVersion: sluice/v1",
      "kind: Graph",
      "metadata: {name: bench-kafka}",
      "spec:",
      threeSteps,
      "  triggers:",
      "    - kind: kafka",
      `      brokers: [${bed.brokers.join(", ")}]`,
      `      topics: [${input}]`,
      `      group: ${group}`,
      "      fromBeginning: true",
      `      output: {topic: ${output}}`,
      `      client: ${client}`,
      "",
    ].join("\n"),
  );
  return { stop: () => gateway.close() };
}

/** What sluice writes on every output, which a bare pipe may write too to see what it costs its client. */
export const eventIdHeader = "x-sluice-event-id";

/**
 * The baseline: kafkajs consume → the three steps → produce, with the trigger's commit
 * policy: eachBatch, the outputs of each chunk of 500 events of the batch in one sendBatch,
 * then resolveOffset, autoCommit every 1000 events or 1 s, partitions consumed concurrently.
 * With `withEventId`, each output carries sluice's event id header (`topic/partition/offset`).
 */
export async function bareKafkaPipe(
  bed: KafkaBed,
  input: string,
  output: string,
  group: string,
  withEventId = false,
): Promise<Pipe> {
  const kafka = new Kafka({ clientId: "bench-bare", brokers: bed.brokers, logLevel: logLevel.WARN, retry });
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 30_000, heartbeatInterval: 3_000 });
  const producer = kafka.producer({
    allowAutoTopicCreation: true,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topics: [input], fromBeginning: true });
  await consumer.run({
    autoCommit: true,
    autoCommitInterval: commitPolicy.everyMs,
    autoCommitThreshold: commitPolicy.everyEvents,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: commitPolicy.partitionsConcurrently,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }) => {
      let messages: Message[] = [];
      let last: string | undefined;
      const idPrefix = `${batch.topic}/${batch.partition}/`;
      const flush = async () => {
        if (last === undefined) return;
        await producer.sendBatch({ topicMessages: [{ topic: output, messages }] });
        resolveOffset(last);
        messages = [];
        last = undefined;
        await commitOffsetsIfNecessary();
        await heartbeat();
      };
      for (const m of batch.messages) {
        if (!isRunning() || isStale()) break;
        const body = JSON.parse(m.value?.toString("utf8") ?? "null") as BenchBody;
        const value = Buffer.from(JSON.stringify(transform(body)));
        messages.push(
          withEventId
            ? { key: m.key, value, headers: { [eventIdHeader]: idPrefix + m.offset } }
            : { key: m.key, value },
        );
        last = m.offset;
        if (messages.length >= commitPolicy.sendEvery) await flush();
      }
      await flush();
    },
  });
  return {
    async stop() {
      await consumer.stop();
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}
