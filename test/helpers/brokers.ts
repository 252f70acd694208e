import { randomBytes } from "node:crypto";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Kafka, logLevel } from "kafkajs";
import { inject, onTestFinished } from "vitest";

/** A name no other test uses: topics, subjects, streams, groups. Safe for Kafka and NATS. */
export function uniqueName(prefix = "t"): string {
  return `${prefix}-${randomBytes(5).toString("hex")}`;
}

/** The test bed's Kafka broker addresses. */
export function kafkaBrokers(): string[] {
  return inject("kafkaBrokers");
}

/** The test bed's nats-server URL. */
export function natsUrl(): string {
  return inject("natsUrl");
}

/** A kafkajs client wired to the test bed's broker. */
export function kafkaClient(clientId = uniqueName("client")): Kafka {
  return new Kafka({ clientId, brokers: kafkaBrokers(), logLevel: logLevel.ERROR });
}

/** Creates a topic with `partitions` partitions and waits for its leaders. */
export async function createTopic(partitions = 1, name = uniqueName("topic")): Promise<string> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  return name;
}

/** A NATS connection to the test bed, closed when the test finishes. */
export async function natsConnection(): Promise<NatsConnection> {
  const nc = await connect({ servers: natsUrl() });
  onTestFinished(async () => {
    if (!nc.isClosed()) await nc.close();
  });
  return nc;
}

export { jetstream, jetstreamManager };
