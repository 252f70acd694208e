/** src/triggers: event sources (Kafka, NATS core and JetStream, cron) and queue-step streams. */
import type { CompiledGraph, NatsTrigger as NatsSpec, TriggerSpec } from "../graph/index.js";
import type { Trigger, TriggerContext } from "./contract.js";
import { CronTrigger } from "./cron.js";
import { KafkaTrigger } from "./kafka/trigger.js";
import { NatsCoreTrigger } from "./nats/core-trigger.js";
import { JetStreamTrigger } from "./nats/jetstream-trigger.js";

export type { EventHandler, Trigger, TriggerContext, TriggerState } from "./contract.js";
export { CronTrigger } from "./cron.js";
export { KafkaTrigger } from "./kafka/trigger.js";
export { NatsCoreTrigger } from "./nats/core-trigger.js";
export { JetStreamTrigger } from "./nats/jetstream-trigger.js";
export { type QueueConsumer, queueConsumers } from "./queue/consumers.js";
export { unwrap } from "./queue/envelope.js";
export { resolveStream, type StreamTarget } from "./queue/stream-url.js";
export { QueueWriters } from "./queue/writers.js";

/** The stream triggers a graph declares (`http` is the data plane's, not a trigger here). */
export function graphTriggers(graph: CompiledGraph, context: TriggerContext): Trigger[] {
  return (graph.document.spec.triggers ?? []).flatMap((spec: TriggerSpec): Trigger[] => {
    switch (spec.kind) {
      case "kafka":
        return [new KafkaTrigger(spec, context)];
      case "nats":
        return [
          (spec as NatsSpec).jetstream
            ? new JetStreamTrigger(spec, context)
            : new NatsCoreTrigger(spec, context),
        ];
      case "cron":
        return [new CronTrigger(spec, context)];
      default:
        return [];
    }
  });
}
