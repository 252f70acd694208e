import type { Message, Offsets } from "kafkajs";
import { parseDuration } from "../../graph/duration.js";
import type { GraphEvent, KafkaTrigger as KafkaTriggerSpec } from "../../graph/index.js";
import type { EventHandler, TriggerContext } from "../contract.js";
import { defaultStalledAfterMs, type HealthState } from "../health.js";
import { backoffMs, isRetryable } from "../retry.js";
import { defaultMaxMessageBytes, outputTooLarge, recordBytes } from "./limits.js";
import { type ConsumedMessage, deadLetterOf, eventOf, outputOf, type Source } from "./message.js";

/** A Kafka trigger's settings, with defaults applied once (the same on every client). */
export interface KafkaSettings {
  topics: (string | RegExp)[];
  group: string;
  fromBeginning: boolean;
  concurrency: number;
  outputTopic: string | undefined;
  dlqTopic: string | undefined;
  maxAttempts: number;
  commitEveryEvents: number;
  commitEveryMs: number;
  stalledAfterMs: number;
}

export function settingsOf(spec: KafkaTriggerSpec): KafkaSettings {
  const topics = spec.topics.map((t) =>
    t.startsWith("/") && t.endsWith("/") && t.length > 2 ? new RegExp(t.slice(1, -1)) : t,
  );
  const commit = (spec.commit ?? {}) as { everyEvents?: number; everyMs?: number };
  const stalledAfter = spec.stalledAfter as string | number | undefined;
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
    stalledAfterMs:
      (stalledAfter === undefined ? undefined : parseDuration(stalledAfter)) ?? defaultStalledAfterMs,
  };
}

/**
 * What a batch of one partition's messages is run with: the names and meaning of kafkajs's
 * `eachBatch` payload, so the kafkajs trigger hands its payload over as it is; another client
 * implements the same five.
 */
export interface BatchControl {
  /** The offset is done: its event, and its output or dead letter, acknowledged. */
  resolveOffset(offset: string): void;
  /** Commits resolved offsets when the policy says so (every N events or T ms), or these offsets now. */
  commitOffsetsIfNecessary(offsets?: Offsets): Promise<void>;
  /** Keeps the group session alive during long waits. */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping. */
  isRunning(): boolean;
  /** True once the partition may have moved to another member (a rebalance). */
  isStale(): boolean;
}

/** What the runner reaches the broker, and waits, through. */
export interface RunnerLinks {
  /** Writes messages to a topic; resolves once the broker acknowledged them. */
  send(topic: string, messages: Message[]): Promise<unknown>;
  /** Waits between attempts. */
  sleep(ms: number): Promise<unknown>;
  /** An offset was resolved (the supervisor hears of progress). */
  progressed(): void;
}

/** Outputs are written (and offsets resolved) at least this often within a batch. */
const flushEvery = 500;
const flushEveryMs = 1_000;
/** A wait to retry heartbeats (and looks for a stop) at least this often. */
const retrySliceMs = 500;

/**
 * The client-neutral heart of a Kafka trigger: runs one partition's batch of messages through
 * the graph, at least once. An offset is resolved only after its event, and every earlier
 * event of the partition, has finished, including the write of its output or dead letter.
 * Events run in order; a failing event is retried with backoff (the partition waits,
 * heartbeating), then dead-lettered with headers that say where and why, and the stream goes
 * on. Outputs are written in chunks the output topic accepts.
 */
export class BatchRunner {
  /** Set by `start`, before the first batch. */
  handler: EventHandler | undefined;
  /** The most record bytes one write to the output topic may carry. */
  outputLimit = defaultMaxMessageBytes;

  constructor(
    readonly name: string,
    readonly settings: KafkaSettings,
    readonly context: TriggerContext,
    readonly health: HealthState,
    readonly links: RunnerLinks,
  ) {}

  async run(messages: readonly ConsumedMessage[], source: Source, control: BatchControl): Promise<void> {
    const { resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary } = control;
    const handler = this.handler as EventHandler;
    const limit = this.outputLimit;
    const { links } = this;
    const outputTopic = this.settings.outputTopic as string;
    // Outputs not written yet, their estimated bytes, and how many events finished since the last flush.
    let outputs: Message[] = [];
    let bytes = 0;
    let unflushed = 0;
    let lastDone: string | undefined;
    let lastResolved: string | undefined;
    let flushedAt = Date.now();
    const flush = async () => {
      flushedAt = Date.now();
      // Nothing finished since the last flush (both are undefined until the first event finishes).
      if (lastDone === lastResolved) return;
      const written = lastDone as string;
      if (outputs.length > 0) await links.send(outputTopic, outputs);
      outputs = [];
      bytes = 0;
      unflushed = 0;
      // Only now, with outputs and dead letters acknowledged by the broker, is the offset done.
      resolveOffset(written);
      lastResolved = written;
      // A batch whose partition was taken away (a rebalance, its consumer crashed) says nothing
      // about the health of the consumer now reading it.
      if (!isStale()) links.progressed();
      // A batch can hold thousands of events: commit by the policy (every N events or T ms)
      // inside it too, or a crash repeats the whole batch; and keep the session alive (a
      // heartbeat that finds a rebalance throws, and the rest of the batch goes to the new owner).
      await commitOffsetsIfNecessary();
      await heartbeat();
    };
    const stopping = () => !isRunning() || isStale();
    /**
     * The wait before a retry: what finished before the failing event is written and
     * committed first (it is not held back behind it, and it is committed by the policy while
     * the partition waits), and the wait ends early, with false, once the consumer stops: a
     * failing event must not hold up a graceful stop.
     */
    const waitToRetry = async (ms: number): Promise<boolean> => {
      await flush();
      for (let left = ms; left > 0 && !stopping(); left -= retrySliceMs) {
        await links.sleep(Math.min(left, retrySliceMs));
        await heartbeat();
        await commitOffsetsIfNecessary();
      }
      return !stopping();
    };
    for (const message of messages) {
      if (stopping()) break;
      let output: Message | undefined;
      // The first attempt is inline, the hot path: one await an event, on the graph itself.
      try {
        const event = eventOf(message, source);
        const outcome = handler(event);
        output = this.#succeeded(message, event, outcome instanceof Promise ? await outcome : outcome);
      } catch (error) {
        const recovered = await this.#recover(message, source, error, waitToRetry);
        // Stopped while it was being retried: left uncommitted, for the next start.
        if (recovered === false) break;
        output = recovered;
      }
      if (output) {
        // A write never exceeds what the output topic takes: the chunk so far goes first.
        const size = recordBytes(output);
        if (bytes + size > limit) await flush();
        outputs.push(output);
        bytes += size;
      }
      lastDone = message.offset;
      if (++unflushed >= flushEvery || Date.now() - flushedAt >= flushEveryMs) await flush();
    }
    await flush();
    if (lastResolved !== undefined && !isRunning() && !isStale()) {
      // Stopping: commit what is done now, so a restart neither loses nor repeats it.
      const offset = (BigInt(lastResolved) + 1n).toString();
      await commitOffsetsIfNecessary({
        topics: [{ topic: source.topic, partitions: [{ partition: source.partition, offset }] }],
      });
    }
    await heartbeat();
  }

  /**
   * An event went through: its output message when there is one to write, then counted. An
   * output larger than the topic takes is the event's failure (thrown), not the write's.
   */
  #succeeded(message: ConsumedMessage, event: GraphEvent, result: unknown): Message | undefined {
    const topic = this.settings.outputTopic;
    const output = topic && result !== undefined ? outputOf(message, event, result) : undefined;
    if (output) {
      const size = recordBytes(output);
      if (size > this.outputLimit) throw outputTooLarge(size, topic as string, this.outputLimit);
    }
    this.context.onEvent?.(this.name, "ok");
    return output;
  }

  /**
   * After an event's first attempt failed: retries with backoff while the failure is worth
   * it, then dead-letters the event, or without a DLQ topic keeps retrying. Resolves with the
   * output to write (undefined for none: a dead letter is written here), or false when the
   * consumer stopped during a wait.
   */
  async #recover(
    message: ConsumedMessage,
    source: Source,
    firstError: unknown,
    waitToRetry: (ms: number) => Promise<boolean>,
  ): Promise<Message | undefined | false> {
    const where = `${source.topic}/${source.partition}`;
    let error = firstError;
    try {
      for (let attempt = 1; ; attempt++) {
        this.health.block(where, `offset ${message.offset} failed: ${(error as Error)?.message ?? error}`);
        if (isRetryable(error) && attempt < this.settings.maxAttempts) {
          this.context.onEvent?.(this.name, "retried");
          if (!(await waitToRetry(backoffMs(attempt)))) return false;
        } else if (this.settings.dlqTopic) {
          const letter = deadLetterOf(message, source, error, attempt);
          if (!(await this.#deadLetter(letter, where, waitToRetry))) return false;
          return undefined;
        } else {
          // No dead-letter topic: nothing may be lost, so the partition waits and tries again.
          this.context.onEvent?.(this.name, "failed");
          this.context.logger.error(
            { err: error, topic: source.topic, partition: source.partition, offset: message.offset, attempt },
            "event failed and there is no dlq topic; retrying",
          );
          if (!(await waitToRetry(backoffMs(attempt, 1000, 30_000)))) return false;
        }
        try {
          const event = eventOf(message, source);
          return this.#succeeded(message, event, await (this.handler as EventHandler)(event));
        } catch (next) {
          error = next;
        }
      }
    } finally {
      this.health.unblock(where);
    }
  }

  /**
   * Writes a dead letter on its own, after the outputs of the events before it (the wait's
   * flush). A DLQ that refuses it (gone, full, the letter too large for it) does not take the
   * partition down: the failure is logged and counted and the write retried, the partition
   * waiting on this event, uncommitted past it. False when the consumer stopped meanwhile.
   */
  async #deadLetter(
    letter: Message,
    where: string,
    waitToRetry: (ms: number) => Promise<boolean>,
  ): Promise<boolean> {
    const topic = this.settings.dlqTopic as string;
    if (!(await waitToRetry(0))) return false;
    for (let failures = 1; ; failures++) {
      try {
        await this.links.send(topic, [letter]);
        this.context.onEvent?.(this.name, "dead_lettered");
        return true;
      } catch (failure) {
        const why = `dead letter not written to "${topic}": ${(failure as Error).message}`;
        this.context.onEvent?.(this.name, "dlq_failed");
        this.context.logger.error({ err: failure, trigger: this.name, where, failures }, `${why}; retrying`);
        this.health.block(where, why);
        if (!(await waitToRetry(backoffMs(failures, 1000, 30_000)))) return false;
      }
    }
  }
}
