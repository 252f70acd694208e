import { setTimeout as sleep } from "node:timers/promises";
import type { Admin, Consumer, ConsumerRunConfig, EachBatchPayload, Producer } from "kafkajs";
import type { KafkaTrigger as KafkaTriggerSpec } from "../../graph/index.js";
import type { EventHandler, Trigger, TriggerContext, TriggerState } from "../contract.js";
import { HealthState, type TriggerHealth } from "../health.js";
import { backoffMs } from "../retry.js";
import { BatchRunner, type KafkaSettings, settingsOf } from "./batch-runner.js";
import { type KafkaConnection, kafkaClient, kafkaProducer } from "./client.js";
import { defaultMaxMessageBytes, writeLimits } from "./limits.js";
import { sourceOf } from "./message.js";
import { ConsumerSupervisor } from "./supervisor.js";

/**
 * What a Kafka trigger reaches the broker, and waits, through: made from the trigger's
 * connection unless given. Tests hand in scripted ones to drive batches without a broker.
 */
export interface KafkaLinks {
  consumer: Consumer;
  producer: Producer;
  /** A new admin client (the output topic's write limit is read with one at start). */
  admin(): Admin;
  /** Waits between attempts and while a subscription waits for its topic. */
  sleep(ms: number): Promise<unknown>;
}

/** The links of a trigger to its brokers: a consumer in `group`, a producer, admin clients. */
function brokerLinks(connection: KafkaConnection, group: string, context: TriggerContext): KafkaLinks {
  const kafka = kafkaClient(connection, `sluice-${context.graph}`, context.logger);
  return {
    consumer: kafka.consumer({
      groupId: group,
      // Long retries heartbeat by hand; the session only has to outlive one slice of them.
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
    }),
    producer: kafkaProducer(kafka, { allowAutoTopicCreation: true }),
    admin: () => kafka.admin(),
    sleep,
  };
}

/**
 * Consumes Kafka topics with a consumer group on kafkajs (`client: kafkajs`, the default), at
 * least once: an offset is committed only after its event, and every earlier event of the
 * partition, has finished, including the write of its output or dead letter (BatchRunner, the
 * part every client shares). Events of one partition run in order; partitions run
 * concurrently. A consumer that crashes is restarted (see ConsumerSupervisor), and `health`
 * says what the trigger is doing.
 */
export class KafkaTrigger implements Trigger {
  readonly kind = "kafka";
  readonly name: string;
  #state: TriggerState = "created";
  readonly #settings: KafkaSettings;
  readonly #consumer: Consumer;
  readonly #producer: Producer;
  readonly #links: KafkaLinks;
  readonly #health: HealthState;
  readonly #supervisor: ConsumerSupervisor;
  readonly #runner: BatchRunner;

  constructor(
    readonly spec: KafkaTriggerSpec,
    readonly context: TriggerContext,
    links?: KafkaLinks,
  ) {
    this.#settings = settingsOf(spec);
    this.name = `kafka:${spec.topics.join(",")}`;
    this.#links = links ?? brokerLinks(spec as KafkaConnection, this.#settings.group, context);
    this.#consumer = this.#links.consumer;
    this.#producer = this.#links.producer;
    this.#health = new HealthState(this.#settings.stalledAfterMs);
    const consumer = this.#consumer;
    const supervisor = new ConsumerSupervisor(this.#health, () => consumer.run(this.#runConfig()), {
      logger: context.logger,
      trigger: this.name,
      running: () => this.#state === "running",
      client: "kafkajs",
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => supervisor.crashed(payload.error, payload.restart));
    consumer.on(consumer.events.GROUP_JOIN, () => supervisor.joined());
    this.#supervisor = supervisor;
    const producer = this.#producer;
    this.#runner = new BatchRunner(this.name, this.#settings, context, this.#health, {
      send: (topic, messages) => producer.send({ topic, messages }),
      sleep: (ms) => this.#links.sleep(ms),
      progressed: () => supervisor.progressed(),
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
      await this.#producer.connect();
      if (outputTopic !== undefined) this.#runner.outputLimit = await this.#limitOf(outputTopic);
    }
    await this.#consumer.connect();
    await this.#subscribe();
    this.#state = "running";
    await this.#consumer.run(this.#runConfig());
    this.#supervisor.started();
  }

  #runConfig(): ConsumerRunConfig {
    return {
      autoCommit: true,
      autoCommitInterval: this.#settings.commitEveryMs,
      autoCommitThreshold: this.#settings.commitEveryEvents,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.#settings.concurrency,
      eachBatch: (payload) => this.#eachBatch(payload),
    };
  }

  async #limitOf(topic: string): Promise<number> {
    const admin = this.#links.admin();
    await admin.connect();
    try {
      return (await writeLimits(admin, [topic])).get(topic) ?? defaultMaxMessageBytes;
    } finally {
      await admin.disconnect();
    }
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
        await this.#links.sleep(backoffMs(attempt, 200, 2_000));
      }
    }
  }

  #eachBatch(payload: EachBatchPayload): Promise<void> {
    // kafkajs's payload is the runner's BatchControl as it is: nothing is built per batch but the source.
    return this.#runner.run(payload.batch.messages, sourceOf(payload.batch), payload);
  }

  /** Finishes the batches in flight, commits their offsets, and leaves the group. */
  async drain(): Promise<void> {
    if (this.#state !== "running") return;
    this.#state = "draining";
    this.#health.set("stopped");
    this.#supervisor.stop();
    await this.#consumer.stop();
  }

  async close(): Promise<void> {
    if (this.#state === "closed") return;
    await this.drain();
    await this.#consumer.disconnect();
    await this.#producer.disconnect();
    this.#state = "closed";
    this.#health.set("stopped");
  }
}
