import { jetstreamManager } from "@nats-io/jetstream";
import type { Admin } from "kafkajs";
import type {
  CompiledGraph,
  KafkaTrigger as KafkaSpec,
  NatsTrigger as NatsSpec,
  QueueStep,
} from "../../graph/index.js";
import type { Trigger, TriggerContext } from "../contract.js";
import { kafkaClient } from "../kafka/client.js";
import { KafkaTrigger } from "../kafka/trigger.js";
import { connectNats } from "../nats/connection.js";
import { NatsCoreTrigger } from "../nats/core-trigger.js";
import { JetStreamTrigger } from "../nats/jetstream-trigger.js";
import { consumedQueues } from "./consumed.js";
import { resolveStream, type StreamTarget } from "./stream-url.js";

type KafkaTarget = Extract<StreamTarget, { kind: "kafka" }>;

/**
 * What making a graph's queue consumers reaches the brokers through: the brokers themselves
 * unless given. Tests hand in scripted ones to see what is made without a broker.
 */
export interface QueueLinks {
  /** An admin client of a queue topic's Kafka cluster: the topic is created with it when missing. */
  kafkaAdmin(target: KafkaTarget, context: TriggerContext): Admin;
  /** The JetStream stream that captures `subject` on the server at `url`, if one does. */
  streamCapturing(url: string, subject: string): Promise<string | undefined>;
}

const brokerLinks: QueueLinks = {
  kafkaAdmin: (target, context) => kafkaClient(target, `sluice-${context.graph}`, context.logger).admin(),
  streamCapturing,
};

/** A consumer of one queue step's stream, and the step whose segment it runs. */
export interface QueueConsumer {
  step: string;
  trigger: Trigger;
}

/** Partitions of a queue's topic when sluice creates it and the step does not say: replicas share a queue only up to its partitions. */
export const defaultQueuePartitions = 4;

/**
 * The consumers that run the steps behind a graph's broker-backed queue steps. Each has its
 * own consumer group (`<graph>-<step>`, as MLRun names them), so replicas share the work, and
 * the trigger semantics of the step's `dlq`: a message the steps behind the queue cannot
 * process (one that is not a sluice envelope fails at once, as bad input) goes there.
 */
export async function queueConsumers(
  graph: CompiledGraph,
  context: TriggerContext,
  links: QueueLinks = brokerLinks,
): Promise<QueueConsumer[]> {
  const consumers: QueueConsumer[] = [];
  for (const [step, stream] of consumedQueues(graph)) {
    const target = resolveStream(stream, graph.document);
    if (!target) continue;
    const group = `${graph.name}-${step}`.replace(/[^A-Za-z0-9_-]/g, "_");
    const declared = graph.document.spec.steps?.[step] as QueueStep | undefined;
    const dlq = declared?.dlq;
    if (target.kind === "kafka") {
      await ensureTopic(
        links.kafkaAdmin(target, context),
        target.topic,
        declared?.partitions ?? defaultQueuePartitions,
        context,
      );
      const spec: KafkaSpec = {
        kind: "kafka",
        brokers: target.brokers,
        topics: [target.topic],
        group,
        fromBeginning: true,
        ...(dlq?.topic ? { dlq: { topic: dlq.topic, ...maxAttempts(dlq.maxAttempts) } } : {}),
        ...(target.sasl ? { sasl: target.sasl } : {}),
        ...(target.ssl !== undefined ? { ssl: target.ssl } : {}),
      };
      consumers.push({ step, trigger: new KafkaTrigger(spec, context) });
      continue;
    }
    const stream_ = await links.streamCapturing(target.url, target.subject);
    const spec: NatsSpec = stream_
      ? {
          kind: "nats",
          url: target.url,
          subject: target.subject,
          jetstream: { stream: stream_, durable: group, ...maxDeliver(dlq?.maxAttempts) },
          ...(dlq?.subject ? { dlq: { subject: dlq.subject } } : {}),
        }
      : { kind: "nats", url: target.url, subject: target.subject, queue: group };
    consumers.push({
      step,
      trigger: stream_ ? new JetStreamTrigger(spec, context) : new NatsCoreTrigger(spec, context),
    });
  }
  return consumers;
}

function maxAttempts(n: number | undefined): { maxAttempts?: number } {
  return n === undefined ? {} : { maxAttempts: n };
}

function maxDeliver(n: number | undefined): { maxDeliver?: number } {
  return n === undefined ? {} : { maxDeliver: n };
}

async function streamCapturing(url: string, subject: string): Promise<string | undefined> {
  const nc = await connectNats(url, "queue");
  try {
    const jsm = await jetstreamManager(nc);
    return await jsm.streams.find(subject).catch(() => undefined);
  } finally {
    await nc.close();
  }
}

/**
 * A queue's topic is sluice's own: it is created when missing, with the step's partitions,
 * before its consumer subscribes (subscribing to a topic that does not exist fails, and many
 * clusters refuse auto-creation). A topic that exists is left as it is, and says so at debug
 * level only: that is the usual case on every start after the first.
 */
async function ensureTopic(
  admin: Admin,
  topic: string,
  partitions: number,
  context: TriggerContext,
): Promise<void> {
  await admin.connect();
  try {
    if ((await admin.listTopics()).includes(topic)) {
      context.logger.debug({ topic }, "the queue's topic exists");
      return;
    }
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions }],
      waitForLeaders: true,
    });
  } catch (error) {
    // Not allowed to create topics, say: the consumer will find out whether it exists.
    context.logger.warn({ err: error, topic }, "could not create the queue's topic");
  } finally {
    await admin.disconnect();
  }
}
