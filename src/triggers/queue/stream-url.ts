import type { GraphDocument, KafkaTrigger, NatsTrigger } from "../../graph/index.js";

/** Where a queue step's stream lives once its URL and the fallbacks are put together. */
export type StreamTarget =
  | { kind: "kafka"; brokers: string[]; topic: string }
  | { kind: "nats"; url: string; subject: string };

/**
 * Reads `kafka://topic`, `kafka://host:port[,host:port]/topic`, `nats://subject` or
 * `nats://host:port/subject`. Brokers left out of the URL come from the graph's first trigger
 * of that kind, else from SLUICE_KAFKA_BROKERS / SLUICE_NATS_URL; with none of those the
 * queue has no broker (undefined) and stays in-process.
 */
export function resolveStream(
  stream: string,
  doc: GraphDocument,
  env: NodeJS.ProcessEnv = process.env,
): StreamTarget | undefined {
  const match = /^(kafka|nats):\/\/(?:([^/]+)\/)?(.+)$/.exec(stream);
  if (!match) return undefined;
  const [, kind, where, name = ""] = match;
  const triggers = doc.spec.triggers ?? [];
  if (kind === "kafka") {
    const fromTrigger = (triggers.find((t) => t.kind === "kafka") as KafkaTrigger | undefined)?.brokers;
    const brokers = where ? where.split(",") : (fromTrigger ?? env.SLUICE_KAFKA_BROKERS?.split(","));
    return brokers?.length ? { kind: "kafka", brokers, topic: name } : undefined;
  }
  const fromTrigger = (triggers.find((t) => t.kind === "nats") as NatsTrigger | undefined)?.url;
  const url = where ? `nats://${where}` : (fromTrigger ?? env.SLUICE_NATS_URL);
  return url ? { kind: "nats", url, subject: name } : undefined;
}
