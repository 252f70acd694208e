import {
  Admin,
  type BaseOptions,
  ConfigResourceTypes,
  type Message as Consumed,
  Consumer,
  compatibilityPartitioner,
  type MessageToProduce,
  ProduceAcks,
  Producer,
  type SASLMechanismValue,
  stringDeserializer,
} from "@platformatic/kafka";
import type { IHeaders, Message } from "kafkajs";
import type { KafkaConnection } from "./client.js";
import { limitFrom } from "./limits.js";
import type { ConsumedMessage } from "./message.js";

/** The @platformatic/kafka settings for a connection: sluice's brokers, client id, SASL, TLS and retries. */
export function platformaticOptions(connection: KafkaConnection, clientId: string): BaseOptions {
  const { sasl, ssl } = connection;
  return {
    clientId: connection.clientId ?? clientId,
    bootstrapBrokers: connection.brokers,
    // Reconnect patiently, as the kafkajs client does: an outage pauses the stream.
    retries: 20,
    retryDelay: 200,
    ...(sasl && "username" in sasl
      ? {
          sasl: {
            mechanism: sasl.mechanism.toUpperCase() as SASLMechanismValue,
            username: sasl.username,
            password: sasl.password,
          },
        }
      : {}),
    ...(ssl === true ? { tls: {} } : ssl ? { tls: ssl } : {}),
  };
}

/** What a consumed message's headers are read as: names as strings, values as the bytes. */
export type PlatformaticMessage = Consumed<Buffer, Buffer, string, Buffer>;

/** A consumer group member whose header names arrive as strings (the trigger reads them by name). */
export function platformaticConsumer(
  options: BaseOptions,
  groupId: string,
): Consumer<Buffer, Buffer, string, Buffer> {
  return new Consumer({
    ...options,
    groupId,
    // Long retries wait in the trigger; the session only has to outlive the event loop's stalls.
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    deserializers: { headerKey: stringDeserializer },
  });
}

/** The shape the trigger reads: kafkajs's, so the runner is the same on both clients. */
export function consumedOf(m: PlatformaticMessage): ConsumedMessage {
  return {
    key: m.key ?? null,
    value: m.value ?? null,
    // Most messages carry none: no object is made for them.
    headers: m.headers.size === 0 ? undefined : (Object.fromEntries(m.headers) as IHeaders),
    offset: m.offset.toString(),
    timestamp: m.timestamp.toString(),
  };
}

/** Keys, values and header names and values as kafkajs takes them: Buffers or strings. */
type Bytes = Buffer | string;
type Produced = MessageToProduce<Bytes, Bytes, Bytes, Bytes>;
export type PlatformaticProducer = Producer<Bytes, Bytes, Bytes, Bytes>;

const toBuffer = (data?: Bytes) =>
  data === undefined || data === null ? undefined : typeof data === "string" ? Buffer.from(data) : data;

/**
 * A producer partitioning keys as kafkajs's default (and Java's) does, murmur2 kept positive,
 * so a key lands in the same partition whichever client wrote it; keyless messages go round
 * robin. Every write waits for all in-sync replicas, as kafkajs's default.
 */
export function platformaticProducer(options: BaseOptions): PlatformaticProducer {
  let next = 0;
  return new Producer<Bytes, Bytes, Bytes, Bytes>({
    ...options,
    acks: ProduceAcks.ALL,
    autocreateTopics: true,
    serializers: { key: toBuffer, value: toBuffer, headerKey: toBuffer, headerValue: toBuffer },
    partitioner: (message, key) => (key ? compatibilityPartitioner(message, key) : next++ & 0x7fffffff),
  });
}

/** kafkajs-shaped messages (what the runner builds) as @platformatic/kafka writes them. */
export function producedOf(topic: string, messages: Message[]): Produced[] {
  return messages.map((m) => ({
    topic,
    key: m.key ?? undefined,
    value: m.value ?? undefined,
    headers: m.headers as Record<string, Bytes> | undefined,
  }));
}

/** The most record bytes one write to `topic` may carry (see writeLimits), asked with an admin client. */
export async function platformaticWriteLimit(options: BaseOptions, topic: string): Promise<number> {
  const admin = new Admin(options);
  try {
    const [described] = await admin
      .describeConfigs({
        resources: [
          {
            resourceType: ConfigResourceTypes.TOPIC,
            resourceName: topic,
            configurationKeys: ["max.message.bytes"],
          },
        ],
      })
      .catch(() => []);
    return limitFrom(described?.configs.find((c) => c.name === "max.message.bytes")?.value);
  } finally {
    await admin.close();
  }
}
