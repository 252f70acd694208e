import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { CompiledGraph, KafkaTrigger as KafkaSpec, NatsTrigger as NatsSpec } from "../../graph/index.js";
import type { Trigger, TriggerContext } from "../contract.js";
import { KafkaTrigger } from "../kafka/trigger.js";
import { NatsCoreTrigger } from "../nats/core-trigger.js";
import { JetStreamTrigger } from "../nats/jetstream-trigger.js";
import { resolveStream } from "./stream-url.js";

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
  for (const [step, stream] of graph.streams.brokerQueues) {
    const target = resolveStream(stream, graph.document);
    if (!target) continue;
    const group = `${graph.name}-${step}`.replace(/[^A-Za-z0-9_-]/g, "_");
    if (target.kind === "kafka") {
      const spec: KafkaSpec = {
        kind: "kafka",
        brokers: target.brokers,
        topics: [target.topic],
        group,
        fromBeginning: true,
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
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    return await jsm.streams.find(subject).catch(() => undefined);
  } finally {
    await nc.close();
  }
}
