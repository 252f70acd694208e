/**
 * src/triggers: event sources (Kafka, NATS core and JetStream, cron) and queue-step streams.
 * The Kafka and NATS triggers, queue consumers and queue writers are imported (with kafkajs and
 * nats.js, ~4 MB of `sluice serve`'s RSS) only when a graph has such a trigger or a broker-backed queue.
 */
import type {
  CompiledGraph,
  GraphDocument,
  Logger,
  NatsTrigger as NatsSpec,
  QueueWriter,
  TriggerSpec,
} from "../graph/index.js";
import type { Trigger, TriggerContext } from "./contract.js";
import { CronTrigger } from "./cron.js";
import { DeferredTrigger } from "./deferred.js";
import { kafkaTriggerOf } from "./kafka/client-choice.js";
import { consumedQueues } from "./queue/consumed.js";
import type { QueueConsumer } from "./queue/consumers.js";
import { resolveStream } from "./queue/stream-url.js";
import type { QueueWriters as BrokerWriters, WriterLinks } from "./queue/writers.js";

export type { EventHandler, StreamOutcome, Trigger, TriggerContext, TriggerState } from "./contract.js";
export { CronTrigger } from "./cron.js";
export { isUp, type TriggerCondition, type TriggerHealth } from "./health.js";
export { type KafkaClientName, kafkaClients, platformaticNodeProblem } from "./kafka/client-choice.js";
export type { PlatformaticKafkaTrigger } from "./kafka/platformatic-trigger.js";
export type { KafkaTrigger } from "./kafka/trigger.js";
export {
  defaultMonitoringBuffer,
  type MonitoringMeters,
  MonitoringStream,
  MonitoringStreams,
  type MonitoringTransport,
} from "./monitoring/index.js";
export type { NatsCoreTrigger } from "./nats/core-trigger.js";
export type { JetStreamTrigger } from "./nats/jetstream-trigger.js";
export type { QueueConsumer } from "./queue/consumers.js";
export { unwrap } from "./queue/envelope.js";
export { resolveStream, type StreamTarget } from "./queue/stream-url.js";

/** The stream triggers a graph declares (`http` is the data plane's, not a trigger here). */
export function graphTriggers(graph: CompiledGraph, context: TriggerContext): Trigger[] {
  return (graph.document.spec.triggers ?? []).flatMap((spec: TriggerSpec): Trigger[] => {
    switch (spec.kind) {
      case "kafka":
        return [
          new DeferredTrigger("kafka", `kafka:${spec.topics.join(",")}`, () => kafkaTriggerOf(spec, context)),
        ];
      case "nats": {
        const nats = spec as NatsSpec;
        const stream = nats.jetstream;
        return [
          stream
            ? new DeferredTrigger("nats", `jetstream:${stream.stream}/${stream.durable}`, async () => {
                const { JetStreamTrigger } = await import("./nats/jetstream-trigger.js");
                return new JetStreamTrigger(nats, context);
              })
            : new DeferredTrigger("nats", `nats:${nats.subject}`, async () => {
                const { NatsCoreTrigger } = await import("./nats/core-trigger.js");
                return new NatsCoreTrigger(nats, context);
              }),
        ];
      }
      case "cron":
        return [new CronTrigger(spec, context)];
      default:
        return [];
    }
  });
}

/**
 * The consumers that run the steps behind a graph's broker-backed queue steps (see
 * queue/consumers.ts); none, and nothing imported, for a graph without such queues or whose
 * queues are all `consume: false`.
 */
export async function queueConsumers(
  graph: CompiledGraph,
  context: TriggerContext,
): Promise<QueueConsumer[]> {
  if (consumedQueues(graph).length === 0) return [];
  const consumers = await import("./queue/consumers.js");
  return consumers.queueConsumers(graph, context);
}

/**
 * The producers behind queue steps (queue/writers.ts), one per broker, closed together. The
 * broker clients are imported when a compiled graph first gets a writer for a broker-backed
 * queue; queues that stay in-process import nothing.
 */
export class QueueWriters {
  #writers: Promise<BrokerWriters> | undefined;

  constructor(
    readonly logger: Logger,
    /** The brokers themselves unless given (tests hand in scripted ones). */
    readonly links?: WriterLinks,
  ) {}

  /** The writer for a queue step, or undefined when its stream has no broker configured. */
  writerFor(stream: string, doc: GraphDocument): QueueWriter | undefined {
    const target = resolveStream(stream, doc);
    if (!target) return undefined;
    const ready = this.#brokerWriters().then((writers) => writers.writerOf(target));
    // A failed import is reported by the first write; until then it must not be unhandled.
    ready.catch(() => {});
    let write: QueueWriter | undefined;
    return (body, event) => {
      if (write) return write(body, event);
      return ready.then((writer) => {
        write = writer;
        return writer(body, event);
      });
    };
  }

  #brokerWriters(): Promise<BrokerWriters> {
    this.#writers ??= import("./queue/writers.js").then((m) => new m.QueueWriters(this.logger, this.links));
    return this.#writers;
  }

  /** Closes the producers made (none when no queue wrote, or the broker clients failed to import). */
  async close(): Promise<void> {
    await this.#writers?.then(
      (writers) => writers.close(),
      () => undefined,
    );
  }
}
