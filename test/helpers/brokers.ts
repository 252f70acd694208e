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

/**
 * Creates a topic with `partitions` partitions (on the test bed's broker unless told otherwise)
 * and waits for its leaders. kafkajs's own `waitForLeaders` gives up when a busy broker answers
 * "does not host this topic-partition" for a moment, so the metadata is polled here instead.
 */
export async function createTopic(
  partitions = 1,
  name = uniqueName("topic"),
  brokers: string[] = kafkaBrokers(),
): Promise<string> {
  const admin = new Kafka({ clientId: uniqueName("client"), brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    // Leaders are awaited below: kafkajs's own wait gives up when a busy broker is slow to host the topic.
    await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions }], waitForLeaders: false });
    for (let waited = 0; ; waited += 100) {
      const found = await admin
        .fetchTopicMetadata({ topics: [name] })
        .then(({ topics }) => topics[0]?.partitions ?? [])
        .catch(() => []);
      if (found.length === partitions && found.every((p) => p.leader >= 0)) break;
      if (waited > 30_000) throw new Error(`topic ${name} has no leaders after 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
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
