import { jetstreamManager } from "@nats-io/jetstream";
import type { CompiledGraph, KafkaTrigger as KafkaSpec, NatsTrigger as NatsSpec } from "../../graph/index.js";
import type { Trigger, TriggerContext } from "../contract.js";
import { kafkaClient } from "../kafka/client.js";
import { KafkaTrigger } from "../kafka/trigger.js";
import { connectNats } from "../nats/connection.js";
import { NatsCoreTrigger } from "../nats/core-trigger.js";
import { JetStreamTrigger } from "../nats/jetstream-trigger.js";
import { consumedQueues } from "./consumed.js";
import { resolveStream, type StreamTarget } from "./stream-url.js";

/** A consumer of one queue step's stream, and the step whose segment it runs. */
export interface QueueConsumer {
  step: string;
  trigger: Trigger;
}

/**
 * The consumers that run the steps behind a graph's broker-backed queue steps. Each has its
 * own consumer group (`<graph>-<step>`, as MLRun names them), so replicas share the work.
 */
export async function queueConsumers(
  graph: CompiledGraph,
  context: TriggerContext,
): Promise<QueueConsumer[]> {
  const consumers: QueueConsumer[] = [];
  for (const [step, stream] of consumedQueues(graph)) {
    const target = resolveStream(stream, graph.document);
    if (!target) continue;
    const group = `${graph.name}-${step}`.replace(/[^A-Za-z0-9_-]/g, "_");
    if (target.kind === "kafka") {
      await ensureTopic(target, context);
      const spec: KafkaSpec = {
        kind: "kafka",
        brokers: target.brokers,
        topics: [target.topic],
        group,
        fromBeginning: true,
        ...(target.sasl ? { sasl: target.sasl } : {}),
        ...(target.ssl !== undefined ? { ssl: target.ssl } : {}),
      };
      consumers.push({ step, trigger: new KafkaTrigger(spec, context) });
      continue;
    }
    const stream_ = await streamCapturing(target.url, target.subject);
    const spec: NatsSpec = stream_
      ? {
          kind: "nats",
          url: target.url,
          subject: target.subject,
          jetstream: { stream: stream_, durable: group },
        }
      : { kind: "nats", url: target.url, subject: target.subject, queue: group };
    consumers.push({
      step,
      trigger: stream_ ? new JetStreamTrigger(spec, context) : new NatsCoreTrigger(spec, context),
    });
  }
  return consumers;
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
 * A queue's topic is sluice's own: it is created when missing, before its consumer subscribes
 * (subscribing to a topic that does not exist fails, and many clusters refuse auto-creation).
 */
async function ensureTopic(
  target: Extract<StreamTarget, { kind: "kafka" }>,
  context: TriggerContext,
): Promise<void> {
  const admin = kafkaClient(target, `sluice-${context.graph}`, context.logger).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: target.topic }], waitForLeaders: true });
  } catch (error) {
    // Not allowed to create topics, say: the consumer will find out whether it exists.
    context.logger.warn({ err: error, topic: target.topic }, "could not create the queue's topic");
  } finally {
    await admin.disconnect();
  }
}
