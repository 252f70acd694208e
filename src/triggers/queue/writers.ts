import type { JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Producer } from "kafkajs";
import type { GraphDocument, Logger, QueueWriter } from "../../graph/index.js";
import { kafkaClient, kafkaProducer } from "../kafka/client.js";
import { type JetStreamLinks, serverLinks } from "../nats/links.js";
import { wrap } from "./envelope.js";
import { resolveStream, type StreamTarget } from "./stream-url.js";

type KafkaTarget = Extract<StreamTarget, { kind: "kafka" }>;

/**
 * What queue writers reach their brokers through: the brokers themselves unless given. Tests
 * hand in scripted ones to see what is written without a broker.
 */
export interface WriterLinks {
  /** A producer (not connected yet) for the cluster `target` names. */
  kafkaProducer(target: KafkaTarget, logger: Logger): Producer;
  /** The links to the NATS server at `url`. */
  nats(url: string): JetStreamLinks;
}

const brokerLinks: WriterLinks = {
  kafkaProducer: (target, logger) =>
    kafkaProducer(kafkaClient(target, "sluice-queue", logger), { allowAutoTopicCreation: true }),
  nats: (url) => serverLinks(url, "queue"),
};

interface NatsClient {
  nc: NatsConnection;
  js: JetStreamClient;
  links: JetStreamLinks;
  /** By subject: whether a stream captures it. */
  streamed: Map<string, Promise<boolean>>;
}

/**
 * The producers behind queue steps, one per broker (shared by every queue step and graph
 * that writes there), connected on first use and closed together.
 */
export class QueueWriters {
  readonly #kafka = new Map<string, Promise<Producer>>();
  readonly #nats = new Map<string, Promise<NatsClient>>();

  constructor(
    readonly logger: Logger,
    readonly links: WriterLinks = brokerLinks,
  ) {}

  /** The writer for a queue step, or undefined when its stream has no broker configured. */
  writerFor(stream: string, doc: GraphDocument): QueueWriter | undefined {
    const target = resolveStream(stream, doc);
    return target && this.writerOf(target);
  }

  /** The writer for a stream whose broker is known. */
  writerOf(target: StreamTarget): QueueWriter {
    return target.kind === "kafka" ? this.#kafkaWriter(target) : this.#natsWriter(target);
  }

  #kafkaWriter(target: KafkaTarget): QueueWriter {
    const key = connectionKey(target);
    return async (body, event) => {
      let producer = this.#kafka.get(key);
      if (!producer) {
        const created = this.links.kafkaProducer(target, this.logger);
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
        const links = this.links.nats(target.url);
        client = links.connect().then((nc) => ({
          nc,
          js: links.client(nc),
          links,
          streamed: new Map<string, Promise<boolean>>(),
        }));
        this.#nats.set(target.url, client);
        client.catch(() => this.#nats.delete(target.url));
      }
      const { nc, js, links, streamed } = await client;
      // A subject captured by a JetStream stream is published with an ack (at least once);
      // otherwise it is core NATS (at most once).
      let isStream = streamed.get(target.subject);
      if (!isStream) {
        isStream = links
          .manager(nc)
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
function connectionKey(target: KafkaTarget): string {
  const sasl = target.sasl as { mechanism: string; username?: string } | undefined;
  return [target.brokers.join(","), sasl?.mechanism, sasl?.username, target.ssl ? "tls" : ""].join("|");
}
