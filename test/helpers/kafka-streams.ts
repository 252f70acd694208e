import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Kafka, logLevel } from "kafkajs";
import { kafkaBrokers, uniqueName } from "./brokers.js";
import { type Collected, graphFile, triggerFixtures } from "./streams.js";

/** Writes a graph document to a temp file; `./kafka-steps.mjs` and `./steps.mjs` point at the fixtures. */
export function kafkaGraphFile(yaml: string): Promise<string> {
  return graphFile(yaml.replaceAll("./kafka-steps.mjs", join(triggerFixtures, "kafka-steps.mjs")));
}

/** Where a pipeline graph reads, writes and in which group it consumes. */
export interface PipelineTopics {
  input: string;
  output: string;
  group: string;
  /** The test bed's broker unless told otherwise. */
  brokers?: string[];
  /** The trigger's Kafka client (kafkajs unless told otherwise). */
  client?: string;
}

/**
 * consume → validate → enrich → finish → produce, as the reliability tests run it. `enrich`
 * names the enrich step's handler (`enrichAsync` makes it await, like a step doing I/O).
 */
export function pipelineGraph(
  name: string,
  { input, output, group, brokers = kafkaBrokers(), client = "kafkajs" }: PipelineTopics,
  enrich: "enrich" | "enrichAsync" = "enrich",
): Promise<string> {
  return kafkaGraphFile(`apiVersion: sluice/v1
kind: Graph
metadata: {name: ${name}}
spec:
  steps:
    validate: {handler: ./kafka-steps.mjs#validate}
    enrich: {handler: ./kafka-steps.mjs#${enrich}, after: [validate]}
    finish: {handler: ./kafka-steps.mjs#finish, after: [enrich]}
  triggers:
    - kind: kafka
      brokers: [${brokers.join(", ")}]
      topics: [${input}]
      group: ${group}
      fromBeginning: true
      output: {topic: ${output}}
      client: ${client}
`);
}

/** A kafkajs client for a test's own view of a broker (the test bed's unless told otherwise). */
export function kafkaOn(brokers: string[] = kafkaBrokers()): Kafka {
  return new Kafka({
    clientId: uniqueName("test"),
    brokers,
    logLevel: logLevel.NOTHING,
    // Patient enough to ride out a broker restart.
    retry: { retries: 15, initialRetryTime: 200, maxRetryTime: 3_000 },
  });
}

/** An input event of the stream tests: about 256 bytes of JSON that names itself with `i`. */
export function eventAt(i: number): { key: string; value: string } {
  const key = `k${i % 97}`;
  const value = JSON.stringify({ i, key, at: 1_700_000_000_000 + i, pad: "x".repeat(200) });
  return { key, value };
}

/** Produces events `from` .. `to - 1` (see eventAt), `batch` at a time. */
export async function produceRange(
  topic: string,
  from: number,
  to: number,
  brokers: string[] = kafkaBrokers(),
  batch = 5_000,
): Promise<void> {
  const producer = kafkaOn(brokers).producer();
  await producer.connect();
  try {
    for (let start = from; start < to; start += batch) {
      const messages = [];
      for (let i = start; i < Math.min(to, start + batch); i++) messages.push(eventAt(i));
      await producer.send({ topic, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Produces messages as they are (keys and string values), in one send. */
export async function produceRaw(
  topic: string,
  messages: { key: string; value: string }[],
  brokers: string[] = kafkaBrokers(),
): Promise<void> {
  const producer = kafkaOn(brokers).producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages });
  } finally {
    await producer.disconnect();
  }
}

/**
 * Produces `perTick` events every `tickMs` (numbered on from 0, see eventAt) until stopped;
 * `stop()` resolves with how many were written. Sends that fail (a broker outage) are retried.
 */
export function steadyStream(topic: string, brokers: string[] = kafkaBrokers(), perTick = 100, tickMs = 50) {
  let running = true;
  let sent = 0;
  const producer = kafkaOn(brokers).producer();
  const done = (async () => {
    await producer.connect();
    try {
      while (running) {
        const messages = [];
        for (let i = sent; i < sent + perTick; i++) messages.push(eventAt(i));
        try {
          await producer.send({ topic, messages });
        } catch {
          await sleep(250);
          continue;
        }
        sent += perTick;
        await sleep(tickMs);
      }
    } finally {
      await producer.disconnect();
    }
    return sent;
  })();
  return {
    sent: () => sent,
    stop: async (): Promise<number> => {
      running = false;
      return done;
    },
  };
}

/** How many messages a topic holds (the sum of its partitions' high watermarks). */
export async function messageCount(topic: string, brokers: string[] = kafkaBrokers()): Promise<number> {
  const admin = kafkaOn(brokers).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Polls `probe` every `everyMs` until it is true; fails with `what` after `timeoutMs`. */
export async function waitUntil(
  probe: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 60_000,
  everyMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (
      await Promise.resolve()
        .then(probe)
        .catch(() => false)
    )
      return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(everyMs);
  }
}

/** How far a group is behind on a topic: the sum over partitions of (high watermark - committed). */
export async function groupLag(
  group: string,
  topic: string,
  brokers: string[] = kafkaBrokers(),
): Promise<number> {
  const admin = kafkaOn(brokers).admin();
  await admin.connect();
  try {
    const [ends, [committed]] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId: group, topics: [topic] }),
    ]);
    const at = new Map(committed?.partitions.map((p) => [p.partition, Math.max(0, Number(p.offset))]));
    return ends.reduce((lag, p) => lag + Number(p.high) - (at.get(p.partition) ?? 0), 0);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Waits until a group has committed every message of `topic`: with outputs written before
 * offsets are committed, every input's output then exists.
 */
export function waitForGroupDone(
  group: string,
  topic: string,
  brokers: string[] = kafkaBrokers(),
  timeoutMs = 120_000,
): Promise<void> {
  return waitUntil(
    async () => (await groupLag(group, topic, brokers)) === 0,
    `group ${group} has committed all of ${topic}`,
    timeoutMs,
    250,
  );
}

/** Reads everything a topic holds now (up to its current high watermarks). */
export async function readAll(
  topic: string,
  brokers: string[] = kafkaBrokers(),
  timeoutMs = 60_000,
): Promise<Collected[]> {
  const kafka = kafkaOn(brokers);
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const left = new Map(ends.filter((p) => Number(p.high) > 0).map((p) => [p.partition, Number(p.high)]));
  const got: Collected[] = [];
  if (left.size === 0) return got;
  const consumer = kafka.consumer({ groupId: uniqueName("reader"), maxBytes: 16 << 20 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`read ${got.length} messages of ${topic}; partitions left: ${[...left.keys()]}`)),
        timeoutMs,
      );
      void consumer.run({
        eachBatch: async ({ batch }) => {
          const end = left.get(batch.partition);
          if (end === undefined) return;
          for (const message of batch.messages) {
            if (Number(message.offset) >= end) break;
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
            got.push({
              key: message.key?.toString(),
              value: message.value?.toString() ?? "",
              partition: batch.partition,
              offset: message.offset,
              headers,
            });
            if (Number(message.offset) >= end - 1) left.delete(batch.partition);
          }
          if (left.size === 0) {
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

/** What became of inputs 0 .. expected - 1: outputs per input, the missing ones and the duplicates. */
export interface Tally {
  outputs: number;
  distinct: number;
  duplicates: number;
  missing: number[];
  /** Inputs with more than one output, and how many they got (the first 5). */
  repeated: [number, number][];
}

export function tally(outputs: Collected[], expected: number): Tally {
  const counts = new Map<number, number>();
  for (const o of outputs) {
    const { i } = JSON.parse(o.value) as { i: number };
    counts.set(i, (counts.get(i) ?? 0) + 1);
  }
  const missing: number[] = [];
  for (let i = 0; i < expected; i++) if (!counts.has(i)) missing.push(i);
  const repeated = [...counts].filter(([, n]) => n > 1);
  return {
    outputs: outputs.length,
    distinct: counts.size,
    duplicates: outputs.length - counts.size,
    missing,
    repeated: repeated.slice(0, 5),
  };
}

/** One line for the test output, e.g. `crash test: 100000 events, 100000 distinct outputs, 1234 duplicates`. */
export function summary(name: string, events: number, t: Tally): string {
  const repeated =
    t.repeated.length > 0 ? ` (e.g. ${t.repeated.map(([i, n]) => `#${i}×${n}`).join(", ")})` : "";
  return `${name}: ${events} events, ${t.distinct} distinct outputs, ${t.duplicates} duplicates${repeated}`;
}
