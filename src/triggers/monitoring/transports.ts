/**
 * The broker connections behind monitoring streams. Imported (with kafkajs or nats.js) only
 * when a stream first sends, so a gateway whose graphs monitor nothing loads neither.
 */
import { type JetStreamClient, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { Kafka, logLevel, type Producer } from "kafkajs";
import type { Logger } from "../../graph/index.js";
import { kafkaConfig, kafkaProducer } from "../kafka/client.js";
import { defaultMaxMessageBytes } from "../kafka/limits.js";
import { connectNats } from "../nats/connection.js";
import type { StreamTarget } from "../queue/stream-url.js";
import type { MonitoringTransport, Outgoing } from "./monitoring-stream.js";

/**
 * A transport for a resolved stream URL, on the Kafka client chosen (@platformatic/kafka is
 * imported only when a stream asks for it).
 */
export async function monitoringTransport(
  target: StreamTarget,
  logger: Logger,
  client: "kafkajs" | "platformatic" = "kafkajs",
): Promise<MonitoringTransport> {
  if (target.kind === "nats") return new NatsTransport(target);
  if (client === "kafkajs") return new KafkaTransport(target, logger);
  const { PlatformaticTransport } = await import("./platformatic-transport.js");
  return new PlatformaticTransport(target);
}

/** Room a record batch keeps for its own framing within the broker's limit. */
export const batchOverhead = 1_024;

/**
 * A Kafka topic, written with `acks: all`. A send that fails drops its producer, and the next
 * attempt connects afresh: the stream's pump owns the retries and their backoff, so the
 * producer itself retries little and logs nothing (the pump says once that the stream is away).
 */
class KafkaTransport implements MonitoringTransport {
  readonly maxRecordBytes = defaultMaxMessageBytes - batchOverhead;
  #producer: Promise<Producer> | undefined;

  constructor(
    readonly target: Extract<StreamTarget, { kind: "kafka" }>,
    readonly logger: Logger,
  ) {}

  async send(messages: Outgoing[]): Promise<void> {
    this.#producer ??= this.#connect();
    try {
      const producer = await this.#producer;
      await producer.send({ topic: this.target.topic, messages, acks: -1 });
    } catch (error) {
      this.#reset();
      throw error;
    }
  }

  async #connect(): Promise<Producer> {
    const kafka = new Kafka({
      ...kafkaConfig(this.target, "sluice-monitoring", this.logger),
      logLevel: logLevel.NOTHING,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
    const producer = kafkaProducer(kafka, { allowAutoTopicCreation: true });
    await producer.connect();
    return producer;
  }

  #reset(): void {
    const old = this.#producer;
    this.#producer = undefined;
    void old?.then((p) => p.disconnect()).catch(() => {});
  }

  async close(): Promise<void> {
    const producer = await this.#producer?.catch(() => undefined);
    this.#producer = undefined;
    await producer?.disconnect();
  }
}

/**
 * A NATS subject. One a JetStream stream captures is published with an ack for every record
 * (at least once); otherwise it is core NATS, flushed after each batch (the server has the
 * records, but keeps none for a subscriber that is away).
 */
class NatsTransport implements MonitoringTransport {
  #client: Promise<{ nc: NatsConnection; js: JetStreamClient; captured: boolean }> | undefined;
  #maxPayload = defaultMaxMessageBytes;

  constructor(readonly target: Extract<StreamTarget, { kind: "nats" }>) {}

  get maxRecordBytes(): number {
    return this.#maxPayload;
  }

  async send(messages: Outgoing[]): Promise<void> {
    this.#client ??= this.#connect();
    const { nc, js, captured } = await this.#client.catch((error: unknown) => {
      this.#client = undefined;
      throw error;
    });
    const { subject } = this.target;
    if (captured) {
      await Promise.all(messages.map((m) => js.publish(subject, m.value)));
      return;
    }
    for (const m of messages) nc.publish(subject, m.value);
    await nc.flush();
  }

  async #connect(): Promise<{ nc: NatsConnection; js: JetStreamClient; captured: boolean }> {
    const nc = await connectNats(this.target.url, "monitoring");
    this.#maxPayload = nc.info?.max_payload ?? this.#maxPayload;
    const captured = await jetstreamManager(nc)
      .then((jsm) => jsm.streams.find(this.target.subject))
      .then(
        () => true,
        () => false,
      );
    return { nc, js: jetstream(nc), captured };
  }

  async close(): Promise<void> {
    const client = await this.#client?.catch(() => undefined);
    this.#client = undefined;
    await client?.nc.close();
  }
}
