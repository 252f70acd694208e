import { SluiceError } from "../../errors.js";
import type { GraphDocument, Logger, MonitoringSink, MonitoringSpec } from "../../graph/index.js";
import type { KafkaConnection } from "../kafka/client.js";
import { platformaticNodeProblem } from "../kafka/client-choice.js";
import { resolveStream, type StreamTarget } from "../queue/stream-url.js";
import { type MonitoringMeters, MonitoringStream, type MonitoringTransport } from "./monitoring-stream.js";

/** Records a stream holds while its broker is slow, when the graph does not say. */
export const defaultMonitoringBuffer = 10_000;

/** Makes the broker connection behind a stream, when the stream first sends. */
export type TransportMaker = (
  target: StreamTarget,
  logger: Logger,
  client: "kafkajs" | "platformatic",
) => Promise<MonitoringTransport>;

/** The brokers' own: imported with their clients only when a stream first sends. */
const brokerTransport: TransportMaker = async (target, logger, client) =>
  (await import("./transports.js")).monitoringTransport(target, logger, client);

/**
 * The monitoring streams of a gateway: one writer (and one bounded buffer) per stream,
 * shared by every model and graph that writes there, hot-reloaded graphs included.
 */
export class MonitoringStreams {
  readonly #streams = new Map<string, MonitoringStream>();

  constructor(
    readonly logger: Logger,
    /** The series a stream counts its records in, by the stream's URL. */
    readonly meters: (stream: string) => MonitoringMeters,
    /** The brokers' transports unless given (tests hand in scripted ones). */
    readonly transport: TransportMaker = brokerTransport,
  ) {}

  /**
   * The sink of a monitoring stream, or undefined when its URL names no broker; throws when
   * its `client` cannot write it (a NATS stream, or a Node that cannot run the client).
   */
  sinkFor(
    settings: Pick<MonitoringSpec, "stream" | "buffer" | "recordsPerMessage" | "client">,
    doc: GraphDocument,
    nodeVersion = process.versions.node,
  ): MonitoringSink | undefined {
    const target = resolveStream(settings.stream, doc);
    if (!target) return undefined;
    const client = clientOf(settings, target, nodeVersion);
    const capacity = settings.buffer ?? defaultMonitoringBuffer;
    const key = `${identity(target)}|${client}`;
    const existing = this.#streams.get(key);
    if (existing) {
      existing.grow(capacity, settings.recordsPerMessage);
      return existing;
    }
    const { logger } = this;
    const stream = new MonitoringStream(settings.stream, () => this.transport(target, logger, client), {
      capacity,
      logger,
      meters: this.meters(settings.stream),
      recordsPerMessage: settings.recordsPerMessage ?? 1,
    });
    this.#streams.set(key, stream);
    return stream;
  }

  /** Flushes every stream until `deadline` (milliseconds since the epoch), then closes them. */
  async close(deadline: number): Promise<void> {
    await Promise.all([...this.#streams.values()].map((s) => s.close(deadline)));
  }
}

/** The Kafka client a stream is written with ("kafkajs" for NATS streams, which use none). */
function clientOf(
  settings: Pick<MonitoringSpec, "stream" | "client">,
  target: StreamTarget,
  nodeVersion: string,
): "kafkajs" | "platformatic" {
  const { client } = settings;
  if (client === undefined) return "kafkajs";
  if (target.kind !== "kafka") {
    throw new SluiceError(
      "SLUICE_ERR_GRAPH_INVALID",
      `monitoring of ${settings.stream}: client chooses a Kafka client, and this is a NATS stream`,
    );
  }
  const problem = client === "platformatic" ? platformaticNodeProblem(nodeVersion) : undefined;
  if (problem)
    throw new SluiceError("SLUICE_ERR_GRAPH_INVALID", `monitoring of ${settings.stream}: ${problem}`);
  return client;
}

/** Streams that land in the same place share a writer (one per Kafka client). */
function identity(target: StreamTarget): string {
  if (target.kind === "nats") return `nats|${target.url}|${target.subject}`;
  const sasl = target.sasl as KafkaConnection["sasl"] & { username?: string };
  return [
    "kafka",
    target.brokers.join(","),
    sasl?.mechanism,
    sasl?.username,
    target.ssl ? "tls" : "",
    target.topic,
  ].join("|");
}
