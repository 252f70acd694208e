import type { GraphDocument, KafkaTrigger, NatsTrigger } from "../../graph/index.js";
import type { KafkaConnection } from "../kafka/client.js";

/** Where a queue step's stream lives once its URL and the fallbacks are put together. */
export type StreamTarget =
  | ({ kind: "kafka"; topic: string } & KafkaConnection)
  | { kind: "nats"; url: string; subject: string };

/**
 * Reads `kafka://topic`, `kafka://host:port[,host:port]/topic`, `nats://subject` or
 * `nats://host:port/subject`. Brokers left out of the URL come from the graph's first trigger
 * of that kind, else from SLUICE_KAFKA_BROKERS / SLUICE_NATS_URL; with none of those the
 * queue has no broker (undefined) and stays in-process. A queue on the trigger's brokers
 * carries the trigger's `sasl` and `ssl` settings.
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
    const trigger = triggers.find((t) => t.kind === "kafka") as KafkaTrigger | undefined;
    const brokers = where ? where.split(",") : (trigger?.brokers ?? env.SLUICE_KAFKA_BROKERS?.split(","));
    if (!brokers?.length) return undefined;
    // On the trigger's cluster, the queue connects as the trigger does (SASL, TLS); a cluster
    // the URL names is not handed the trigger's credentials.
    const sameCluster = trigger !== undefined && brokers.every((b) => trigger.brokers.includes(b));
    return {
      kind: "kafka",
      brokers,
      topic: name,
      ...(sameCluster && trigger.sasl ? { sasl: trigger.sasl as KafkaConnection["sasl"] } : {}),
      ...(sameCluster && trigger.ssl !== undefined ? { ssl: trigger.ssl as KafkaConnection["ssl"] } : {}),
    };
  }
  const fromTrigger = (triggers.find((t) => t.kind === "nats") as NatsTrigger | undefined)?.url;
  const url = where ? `nats://${where}` : (fromTrigger ?? env.SLUICE_NATS_URL);
  return url ? { kind: "nats", url, subject: name } : undefined;
}
