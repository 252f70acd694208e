import type { GraphDocument, Logger, MonitoringSink, MonitoringSpec } from "../../graph/index.js";
import type { KafkaConnection } from "../kafka/client.js";
import { resolveStream, type StreamTarget } from "../queue/stream-url.js";
import { type MonitoringMeters, MonitoringStream } from "./monitoring-stream.js";

/** Records a stream holds while its broker is slow, when the graph does not say. */
export const defaultMonitoringBuffer = 10_000;

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
  ) {}

  /** The sink of a monitoring stream, or undefined when its URL names no broker. */
  sinkFor(
    settings: Pick<MonitoringSpec, "stream" | "buffer" | "recordsPerMessage">,
    doc: GraphDocument,
  ): MonitoringSink | undefined {
    const target = resolveStream(settings.stream, doc);
    if (!target) return undefined;
    const capacity = settings.buffer ?? defaultMonitoringBuffer;
    const key = identity(target);
    const existing = this.#streams.get(key);
    if (existing) {
      existing.grow(capacity, settings.recordsPerMessage);
      return existing;
    }
    const { logger } = this;
    const stream = new MonitoringStream(
      settings.stream,
      async () => (await import("./transports.js")).monitoringTransport(target, logger),
      {
        capacity,
        logger,
        meters: this.meters(settings.stream),
        recordsPerMessage: settings.recordsPerMessage ?? 1,
      },
    );
    this.#streams.set(key, stream);
    return stream;
  }

  /** Flushes every stream until `deadline` (milliseconds since the epoch), then closes them. */
  async close(deadline: number): Promise<void> {
    await Promise.all([...this.#streams.values()].map((s) => s.close(deadline)));
  }
}

/** Streams that land in the same place share a writer. */
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
