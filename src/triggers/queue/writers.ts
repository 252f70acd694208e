import { type JetStreamClient, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Producer } from "kafkajs";
import type { GraphDocument, Logger, QueueWriter } from "../../graph/index.js";
import { kafkaClient, kafkaProducer } from "../kafka/client.js";
import { connectNats } from "../nats/connection.js";
import { wrap } from "./envelope.js";
import { resolveStream, type StreamTarget } from "./stream-url.js";

/**
 * The producers behind queue steps, one per broker (shared by every queue step and graph
 * that writes there), connected on first use and closed together.
 */
export class QueueWriters {
  readonly #kafka = new Map<string, Promise<Producer>>();
  readonly #nats = new Map<
    string,
    Promise<{ nc: NatsConnection; js: JetStreamClient; streamed: Map<string, Promise<boolean>> }>
  >();

  constructor(readonly logger: Logger) {}

  /** The writer for a queue step, or undefined when its stream has no broker configured. */
  writerFor(stream: string, doc: GraphDocument): QueueWriter | undefined {
    const target = resolveStream(stream, doc);
    if (!target) return undefined;
    return target.kind === "kafka" ? this.#kafkaWriter(target) : this.#natsWriter(target);
  }

  #kafkaWriter(target: Extract<StreamTarget, { kind: "kafka" }>): QueueWriter {
    const key = connectionKey(target);
    return async (body, event) => {
      let producer = this.#kafka.get(key);
      if (!producer) {
        const created = kafkaProducer(kafkaClient(target, "sluice-queue", this.logger), {
          allowAutoTopicCreation: true,
        });
        producer = created.connect().then(() => created);
        this.#kafka.set(key, producer);
        producer.catch(() => this.#kafka.delete(key));
      }
      await (await producer).send({
        topic: target.topic,
        messages: [{ key: event.key ?? event.id, value: wrap(body, event) }],
      });
    };
  }

  #natsWriter(target: Extract<StreamTarget, { kind: "nats" }>): QueueWriter {
    return async (body, event) => {
      let client = this.#nats.get(target.url);
      if (!client) {
        client = connectNats(target.url, "queue").then((nc) => ({
          nc,
          js: jetstream(nc),
          streamed: new Map<string, Promise<boolean>>(),
        }));
        this.#nats.set(target.url, client);
        client.catch(() => this.#nats.delete(target.url));
      }
      const { nc, js, streamed } = await client;
      // A subject captured by a JetStream stream is published with an ack (at least once);
      // otherwise it is core NATS (at most once).
      let isStream = streamed.get(target.subject);
      if (!isStream) {
        isStream = jetstreamManager(nc)
          .then((jsm) => jsm.streams.find(target.subject))
          .then(
            () => true,
            () => false,
          );
        streamed.set(target.subject, isStream);
      }
      const data = wrap(body, event);
      if (await isStream) await js.publish(target.subject, data);
      else nc.publish(target.subject, data);
    };
  }

  async close(): Promise<void> {
    const producers = await Promise.allSettled(this.#kafka.values());
    const clients = await Promise.allSettled(this.#nats.values());
    await Promise.all([
      ...producers.map((p) => (p.status === "fulfilled" ? p.value.disconnect() : undefined)),
      ...clients.map((c) => (c.status === "fulfilled" ? c.value.nc.close() : undefined)),
    ]);
  }
}

/** One producer per cluster and identity: queues that connect differently never share one. */
function connectionKey(target: Extract<StreamTarget, { kind: "kafka" }>): string {
  const sasl = target.sasl as { mechanism: string; username?: string } | undefined;
  return [target.brokers.join(","), sasl?.mechanism, sasl?.username, target.ssl ? "tls" : ""].join("|");
}
