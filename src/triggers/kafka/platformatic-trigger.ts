import { setTimeout as sleep } from "node:timers/promises";
import {
  type BaseOptions,
  type Consumer,
  type MessagesStream,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
} from "@platformatic/kafka";
import { SluiceError } from "../../errors.js";
import type { KafkaTrigger as KafkaTriggerSpec } from "../../graph/index.js";
import type { EventHandler, Trigger, TriggerContext, TriggerState } from "../contract.js";
import { HealthState, type TriggerHealth } from "../health.js";
import { BatchRunner, type KafkaSettings, settingsOf } from "./batch-runner.js";
import type { KafkaConnection } from "./client.js";
import { OffsetCommits, PartitionLanes } from "./partition-lanes.js";
import {
  consumedOf,
  type PlatformaticMessage,
  type PlatformaticProducer,
  platformaticConsumer,
  platformaticOptions,
  platformaticProducer,
  platformaticWriteLimit,
  producedOf,
} from "./platformatic-client.js";
import { ConsumerSupervisor } from "./supervisor.js";

type PlatformaticConsumer = Consumer<Buffer, Buffer, string, Buffer>;

/**
 * What a platformatic Kafka trigger reaches its brokers, and waits, through: made from the
 * trigger's connection unless given. Tests hand in scripted ones to drive it without a broker.
 */
export interface PlatformaticLinks {
  /** A new member of the consumer group `group` (made again after a crash). */
  consumer(group: string): PlatformaticConsumer;
  /** The producer of outputs and dead letters (made at start when the trigger writes any). */
  producer(): PlatformaticProducer;
  /** The most record bytes one write to `topic` may carry (read once, at start). */
  writeLimit(topic: string): Promise<number>;
  /** Waits between attempts. */
  sleep(ms: number): Promise<unknown>;
}

/** The links of a trigger to its brokers, with the client's settings for its connection. */
function brokerLinks(options: BaseOptions): PlatformaticLinks {
  return {
    consumer: (group) => platformaticConsumer(options, group),
    producer: () => platformaticProducer(options),
    writeLimit: (topic) => platformaticWriteLimit(options, topic),
    sleep,
  };
}

/** Messages that may wait in the lanes before the stream is paused. */
const highWater = 5_000;

/**
 * A Kafka trigger on @platformatic/kafka (`client: platformatic`), with the kafkajs trigger's
 * contract: the same BatchRunner runs each partition's messages (retries, dead letters,
 * outputs in chunks the topic takes, an offset resolved only once its output or dead letter is
 * acknowledged). The client's consumer is one stream of messages, not per-partition batches:
 * PartitionLanes cuts it into per-partition batches, and OffsetCommits commits resolved offsets
 * by the same policy (every N events or T ms) with `consumer.commit`. Heartbeats are the
 * client's own. A stream that fails, or a batch whose write or commit throws, is a crash: the
 * consumer is made again from the committed offsets, with the supervisor's backoff.
 */
export class PlatformaticKafkaTrigger implements Trigger {
  readonly kind = "kafka";
  readonly name: string;
  #state: TriggerState = "created";
  readonly #settings: KafkaSettings;
  readonly #links: PlatformaticLinks;
  readonly #health: HealthState;
  readonly #supervisor: ConsumerSupervisor;
  readonly #runner: BatchRunner;
  readonly #commits: OffsetCommits;
  readonly #lanes: PartitionLanes;
  #producer: PlatformaticProducer | undefined;
  #consumer: PlatformaticConsumer | undefined;
  #stream: MessagesStream<Buffer, Buffer, string, Buffer> | undefined;
  /** The consumer let go of after a crash, closing: a restart waits for it to leave the group. */
  #closing: Promise<unknown> = Promise.resolve();

  constructor(
    readonly spec: KafkaTriggerSpec,
    readonly context: TriggerContext,
    links?: PlatformaticLinks,
  ) {
    this.#settings = settingsOf(spec);
    this.name = `kafka:${spec.topics.join(",")}`;
    if (this.#settings.topics.some((t) => typeof t !== "string")) {
      throw new SluiceError(
        "SLUICE_ERR_GRAPH_INVALID",
        `trigger ${this.name}: client: platformatic takes topic names, not /patterns/ (client: kafkajs does)`,
      );
    }
    this.#links =
      links ?? brokerLinks(platformaticOptions(spec as KafkaConnection, `sluice-${context.graph}`));
    this.#health = new HealthState(this.#settings.stalledAfterMs);
    const supervisor = new ConsumerSupervisor(
      this.#health,
      async () => {
        await this.#closing;
        await this.#consume();
      },
      {
        logger: context.logger,
        trigger: this.name,
        running: () => this.#state === "running",
        client: "@platformatic/kafka",
      },
    );
    this.#supervisor = supervisor;
    this.#runner = new BatchRunner(this.name, this.#settings, context, this.#health, {
      send: (topic, messages) =>
        (this.#producer as PlatformaticProducer).send({ messages: producedOf(topic, messages) }),
      sleep: (ms) => this.#links.sleep(ms),
      progressed: () => supervisor.progressed(),
    });
    this.#commits = new OffsetCommits(
      this.#settings.commitEveryEvents,
      this.#settings.commitEveryMs,
      (offsets) => {
        const consumer = this.#consumer;
        if (!consumer) return Promise.reject(new Error("the consumer is being made again"));
        // -1: no leader epoch known; the broker then does not fence the commit by epoch.
        return consumer.commit({ offsets: offsets.map((o) => ({ ...o, leaderEpoch: -1 })) });
      },
      context.logger,
    );
    this.#lanes = new PartitionLanes(this.#runner, this.#commits, {
      concurrency: this.#settings.concurrency,
      highWater,
      // Paused while draining stays paused: a stop fetches nothing more.
      flow: (paused) =>
        paused ? this.#stream?.pause() : this.#state === "running" && this.#stream?.resume(),
      failed: (error) => this.#crashed(error as Error),
    });
  }

  get state(): TriggerState {
    return this.#state;
  }

  get health(): TriggerHealth {
    return this.#health.value;
  }

  async start(handler: EventHandler): Promise<void> {
    this.#runner.handler = handler;
    const { outputTopic, dlqTopic } = this.#settings;
    if (outputTopic !== undefined || dlqTopic !== undefined) {
      this.#producer = this.#links.producer();
      if (outputTopic !== undefined) this.#runner.outputLimit = await this.#links.writeLimit(outputTopic);
    }
    this.#state = "running";
    await this.#consume();
    this.#supervisor.started();
  }

  /** Joins the group and streams its partitions from the committed offsets into the lanes. */
  async #consume(): Promise<void> {
    const consumer = this.#links.consumer(this.#settings.group);
    consumer.on("consumer:group:join", (joined) => {
      // The classic group protocol (the client's default, and ours) tells the assignment here.
      const assignments = joined.assignments ?? consumer.assignments;
      if (assignments) this.#lanes.assign(assignments);
      this.#supervisor.joined();
    });
    this.#consumer = consumer;
    try {
      const stream = await consumer.consume({
        topics: this.#settings.topics as string[],
        mode: MessagesStreamModes.COMMITTED,
        fallbackMode: this.#settings.fromBeginning
          ? MessagesStreamFallbackModes.EARLIEST
          : MessagesStreamFallbackModes.LATEST,
        autocommit: false,
      });
      this.#stream = stream;
      const lanes = this.#lanes;
      stream.on("data", (m: PlatformaticMessage) =>
        lanes.push(m.topic, m.partition, m.offset, consumedOf(m)),
      );
      stream.on("error", (error: Error) => this.#crashed(error));
    } catch (error) {
      this.#consumer = undefined;
      await consumer.close().catch(() => undefined);
      throw error;
    }
  }

  /**
   * The stream failed or a batch threw: drop this consumer and let the supervisor make another.
   * A consumer whose stream is not open yet is #consume's to fail (and close).
   */
  #crashed(error: Error): void {
    const stream = this.#stream;
    if (this.#state !== "running" || !stream) return;
    this.#lanes.revokeAll();
    const consumer = this.#consumer as PlatformaticConsumer;
    this.#consumer = undefined;
    this.#stream = undefined;
    // In turn: the client refuses to leave the group while a stream of it is open.
    this.#closing = (async () => {
      await stream.close();
      await consumer.close();
    })().catch((failure: unknown) =>
      this.context.logger.warn({ err: failure, trigger: this.name }, "crashed consumer not closed cleanly"),
    );
    this.#supervisor.crashed(error, false);
  }

  /** Stops fetching, finishes the batches in flight, commits their offsets, and leaves the group. */
  async drain(): Promise<void> {
    if (this.#state !== "running") return;
    this.#state = "draining";
    this.#health.set("stopped");
    this.#supervisor.stop();
    this.#stream?.pause();
    await this.#lanes.stop();
    this.#commits.stop();
    await this.#commits.commitNow();
    await this.#stream?.close();
    await this.#consumer?.close();
    await this.#closing;
  }

  async close(): Promise<void> {
    if (this.#state === "closed") return;
    await this.drain();
    await this.#producer?.close();
    this.#state = "closed";
    this.#health.set("stopped");
  }
}
