/**
 * A monitoring stream's Kafka topic written with @platformatic/kafka (`client: platformatic`):
 * about a third of kafkajs's CPU per message (bench/README.md, "Model monitoring"). Imported
 * only for a stream that chooses it.
 */
import { defaultMaxMessageBytes } from "../kafka/limits.js";
import {
  type PlatformaticProducer,
  platformaticOptions,
  platformaticProducer,
  producedOf,
} from "../kafka/platformatic-client.js";
import type { StreamTarget } from "../queue/stream-url.js";
import type { MonitoringTransport, Outgoing } from "./monitoring-stream.js";
import { batchOverhead } from "./transports.js";

/**
 * Writes with acks from every in-sync replica, as the kafkajs transport does. A failed send
 * closes its producer and the next one connects afresh; the stream's pump owns the retries
 * and their backoff, so the producer itself retries little.
 */
export class PlatformaticTransport implements MonitoringTransport {
  readonly maxRecordBytes = defaultMaxMessageBytes - batchOverhead;
  #producer: PlatformaticProducer | undefined;

  constructor(readonly target: Extract<StreamTarget, { kind: "kafka" }>) {}

  async send(messages: Outgoing[]): Promise<void> {
    this.#producer ??= platformaticProducer({
      ...platformaticOptions(this.target, "sluice-monitoring"),
      retries: 2,
      retryDelay: 100,
    });
    try {
      await this.#producer.send({ messages: producedOf(this.target.topic, messages) });
    } catch (error) {
      const old = this.#producer;
      this.#producer = undefined;
      void old?.close().catch(() => {});
      throw error;
    }
  }

  async close(): Promise<void> {
    const producer = this.#producer;
    this.#producer = undefined;
    await producer?.close();
  }
}
