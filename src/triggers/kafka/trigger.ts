import { setTimeout as sleep } from "node:timers/promises";
import type { Consumer, EachBatchPayload, KafkaMessage, Message, Producer, TopicMessages } from "kafkajs";
import type { GraphEvent, KafkaTrigger as KafkaTriggerSpec } from "../../graph/index.js";
import type { EventHandler, Trigger, TriggerContext, TriggerState } from "../contract.js";
import { backoffMs, isRetryable } from "../retry.js";
import { type KafkaConnection, kafkaClient, kafkaProducer } from "./client.js";
import { deadLetterOf, eventOf, outputOf, type Source, sourceOf } from "./message.js";

/** A Kafka trigger's settings, with defaults applied once. */
interface Settings {
  topics: (string | RegExp)[];
  group: string;
  fromBeginning: boolean;
  concurrency: number;
  outputTopic: string | undefined;
  dlqTopic: string | undefined;
  maxAttempts: number;
  commitEveryEvents: number;
  commitEveryMs: number;
}

function settingsOf(spec: KafkaTriggerSpec): Settings {
  const topics = spec.topics.map((t) =>
    t.startsWith("/") && t.endsWith("/") && t.length > 2 ? new RegExp(t.slice(1, -1)) : t,
  );
  const commit = (spec.commit ?? {}) as { everyEvents?: number; everyMs?: number };
  return {
    topics,
    group: spec.group,
    fromBeginning: spec.fromBeginning === true,
    concurrency: typeof spec.concurrency === "number" ? spec.concurrency : 64,
    outputTopic: spec.output?.topic,
    dlqTopic: spec.dlq?.topic,
    maxAttempts: spec.dlq?.maxAttempts ?? (typeof spec.maxAttempts === "number" ? spec.maxAttempts : 3),
    commitEveryEvents: commit.everyEvents ?? 1000,
    commitEveryMs: commit.everyMs ?? 1000,
  };
}

/** Outputs are written (and offsets resolved) at least this often within a batch. */
const flushEvery = 500;
const flushEveryMs = 1_000;
/** A wait to retry heartbeats (and looks for a stop) at least this often. */
const retrySliceMs = 500;

/** What became of a retried message: its output (if any), or the dead letter to write instead. */
type Outcome = { output?: Message; deadLetter?: Message };

/**
 * Consumes Kafka topics with a consumer group, at least once: an offset is committed only
 * after its event, and every earlier event of the partition, has finished, including the
 * write of its output or dead letter. Events of one partition run in order; partitions run
 * concurrently. A failing event is retried with backoff (the partition waits, heartbeating),
 * then dead-lettered with headers that say where and why, and the stream goes on.
 */
export class KafkaTrigger implements Trigger {
  readonly kind = "kafka";
  readonly name: string;
  #state: TriggerState = "created";
  readonly #settings: Settings;
  readonly #consumer: Consumer;
  readonly #producer: Producer;
  #handler: EventHandler | undefined;

  constructor(
    spec: KafkaTriggerSpec,
    readonly context: TriggerContext,
  ) {
    this.#settings = settingsOf(spec);
    this.name = `kafka:${spec.topics.join(",")}`;
    const kafka = kafkaClient(spec as KafkaConnection, `sluice-${context.graph}`, context.logger);
    this.#consumer = kafka.consumer({
      groupId: this.#settings.group,
      // Long retries heartbeat by hand; the session only has to outlive one slice of them.
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
    });
    this.#producer = kafkaProducer(kafka, { allowAutoTopicCreation: true });
  }

  get state(): TriggerState {
    return this.#state;
  }

  async start(handler: EventHandler): Promise<void> {
    this.#handler = handler;
    const needsProducer = this.#settings.outputTopic !== undefined || this.#settings.dlqTopic !== undefined;
    if (needsProducer) await this.#producer.connect();
    await this.#consumer.connect();
    await this.#subscribe();
    await this.#consumer.run({
      autoCommit: true,
      autoCommitInterval: this.#settings.commitEveryMs,
      autoCommitThreshold: this.#settings.commitEveryEvents,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.#settings.concurrency,
      eachBatch: (payload) => this.#eachBatch(payload),
    });
    this.#state = "running";
  }

  /**
   * Subscribes, waiting out a topic that is being created: a broker that auto-creates topics
   * answers the first metadata request for a new one with a retriable error, not the topic.
   */
  async #subscribe(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#consumer.subscribe({
          topics: this.#settings.topics,
          fromBeginning: this.#settings.fromBeginning,
        });
        return;
      } catch (error) {
        if (attempt >= 10 || (error as { retriable?: unknown }).retriable !== true) throw error;
        await sleep(backoffMs(attempt, 200, 2_000));
      }
    }
  }

  async #eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary } = payload;
    const source = sourceOf(batch);
    const handler = this.#handler as EventHandler;
    // Outputs and dead letters not written yet, and how many events finished since the last flush.
    let outputs: Message[] = [];
    let letters: Message[] = [];
    let unflushed = 0;
    let lastDone: string | undefined;
    let lastResolved: string | undefined;
    let flushedAt = Date.now();
    const flush = async () => {
      flushedAt = Date.now();
      if (lastDone === undefined || lastDone === lastResolved) return;
      const written = lastDone;
      await this.#write(outputs, letters);
      outputs = [];
      letters = [];
      unflushed = 0;
      // Only now, with outputs and dead letters acknowledged by the broker, is the offset done.
      resolveOffset(written);
      lastResolved = written;
      // A batch can hold thousands of events: commit by the policy (every N events or T ms)
      // inside it too, or a crash repeats the whole batch; and keep the session alive (a
      // heartbeat that finds a rebalance throws, and the rest of the batch goes to the new owner).
      await commitOffsetsIfNecessary();
      await heartbeat();
    };
    const stopping = () => !isRunning() || isStale();
    /**
     * The wait before a retry: what finished before the failing event is written and
     * committed first (it is not held back behind it), and the wait ends early, with false,
     * once the consumer stops: a failing event must not hold up a graceful stop.
     */
    const waitToRetry = async (ms: number): Promise<boolean> => {
      await flush();
      for (let left = ms; left > 0 && !stopping(); left -= retrySliceMs) {
        await sleep(Math.min(left, retrySliceMs));
        await heartbeat();
      }
      return !stopping();
    };
    for (const message of batch.messages) {
      if (stopping()) break;
      // The first attempt is inline, the hot path: one await an event, on the graph itself.
      try {
        const event = eventOf(message, source);
        const outcome = handler(event);
        const output = this.#succeeded(message, event, outcome instanceof Promise ? await outcome : outcome);
        // Last in the try: nothing after it can throw and send the event round again.
        if (output) outputs.push(output);
      } catch (error) {
        const outcome = await this.#recover(message, source, error, waitToRetry);
        // Stopped while it was being retried: left uncommitted, for the next start.
        if (outcome === undefined) break;
        if (outcome.output) outputs.push(outcome.output);
        if (outcome.deadLetter) letters.push(outcome.deadLetter);
      }
      lastDone = message.offset;
      if (++unflushed >= flushEvery || Date.now() - flushedAt >= flushEveryMs) await flush();
    }
    await flush();
    if (lastResolved !== undefined && !isRunning() && !isStale()) {
      // Stopping: commit what is done now, so a restart neither loses nor repeats it.
      const offset = (BigInt(lastResolved) + 1n).toString();
      await commitOffsetsIfNecessary({
        topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset }] }],
      });
    }
    await heartbeat();
  }

  /** An event went through: counted, and its output message when there is one to write. */
  #succeeded(message: KafkaMessage, event: GraphEvent, result: unknown): Message | undefined {
    const output =
      this.#settings.outputTopic && result !== undefined ? outputOf(message, event, result) : undefined;
    this.context.onEvent?.(this.name, "ok");
    return output;
  }

  /** Writes a chunk's outputs and dead letters in one request; resolves once the broker has them. */
  async #write(outputs: Message[], letters: Message[]): Promise<void> {
    const topicMessages: TopicMessages[] = [];
    if (outputs.length > 0 && this.#settings.outputTopic)
      topicMessages.push({ topic: this.#settings.outputTopic, messages: outputs });
    if (letters.length > 0 && this.#settings.dlqTopic)
      topicMessages.push({ topic: this.#settings.dlqTopic, messages: letters });
    if (topicMessages.length > 0) await this.#producer.sendBatch({ topicMessages });
  }

  /**
   * After an event's first attempt failed: retries with backoff while the failure is worth
   * it, then dead-letters the event, or without a DLQ topic keeps retrying. Resolves with what
   * to write, or with undefined when the consumer stopped during a wait to retry.
   */
  async #recover(
    message: KafkaMessage,
    source: Source,
    firstError: unknown,
    waitToRetry: (ms: number) => Promise<boolean>,
  ): Promise<Outcome | undefined> {
    let error = firstError;
    for (let attempt = 1; ; attempt++) {
      if (isRetryable(error) && attempt < this.#settings.maxAttempts) {
        this.context.onEvent?.(this.name, "retried");
        if (!(await waitToRetry(backoffMs(attempt)))) return undefined;
      } else if (this.#settings.dlqTopic) {
        this.context.onEvent?.(this.name, "dead_lettered");
        return { deadLetter: deadLetterOf(message, source, error, attempt) };
      } else {
        // No dead-letter topic: nothing may be lost, so the partition waits and tries again.
        this.context.onEvent?.(this.name, "failed");
        this.context.logger.error(
          { err: error, topic: source.topic, partition: source.partition, offset: message.offset, attempt },
          "event failed and there is no dlq topic; retrying",
        );
        if (!(await waitToRetry(backoffMs(attempt, 1000, 30_000)))) return undefined;
      }
      try {
        const event = eventOf(message, source);
        const output = this.#succeeded(message, event, await (this.#handler as EventHandler)(event));
        return output ? { output } : {};
      } catch (next) {
        error = next;
      }
    }
  }

  /** Finishes the batches in flight, commits their offsets, and leaves the group. */
  async drain(): Promise<void> {
    if (this.#state !== "running") return;
    this.#state = "draining";
    await this.#consumer.stop();
  }

  async close(): Promise<void> {
    if (this.#state === "closed") return;
    await this.drain();
    await this.#consumer.disconnect();
    await this.#producer.disconnect();
    this.#state = "closed";
  }
}
