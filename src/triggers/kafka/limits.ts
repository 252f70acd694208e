import type { Admin, ConfigResourceTypes, IHeaders, Message } from "kafkajs";
import { StepError } from "../../graph/index.js";

/**
 * Kafka's default `max.message.bytes` (a topic's largest record batch) when a topic does not
 * say: the broker's own `message.max.bytes` default.
 */
export const defaultMaxMessageBytes = 1_048_588;

/**
 * Room kept for what a record batch adds around its records (a 61-byte header) and what our
 * estimate of each record leaves out: the size of a write is estimated, never measured.
 */
const batchOverhead = 1_024;
/** `ConfigResourceTypes.TOPIC`: kafkajs's enum is not among the names Node's ESM loader finds in it. */
const topicResource = 2 as ConfigResourceTypes;
/** Per record: attributes, timestamp and offset deltas, lengths as varints (at most ~25 bytes). */
const recordOverhead = 32;

/** A write's limit from a topic's described `max.message.bytes` (the broker's default when not described). */
export function limitFrom(maxMessageBytes: string | null | undefined): number {
  const max = Number(maxMessageBytes);
  return (Number.isFinite(max) && max > 0 ? max : defaultMaxMessageBytes) - batchOverhead;
}

/**
 * The most record bytes one write to each topic may carry: the topic's `max.message.bytes`
 * less room for the batch's framing. A topic that cannot be described (not created yet, no
 * permission to describe it) gets the broker's default.
 */
export async function writeLimits(admin: Admin, topics: string[]): Promise<Map<string, number>> {
  const limits = new Map<string, number>();
  for (const topic of topics) {
    const described = await admin
      .describeConfigs({
        resources: [{ type: topicResource, name: topic, configNames: ["max.message.bytes"] }],
        includeSynonyms: false,
      })
      .then(
        (r) => r.resources[0]?.configEntries.find((e) => e.configName === "max.message.bytes")?.configValue,
      )
      .catch(() => undefined);
    limits.set(topic, limitFrom(described));
  }
  return limits;
}

function headerBytes(headers: IHeaders | undefined): number {
  let bytes = 0;
  // `for...in`: an output carries one or two headers, and this runs once per output.
  for (const name in headers) {
    const value = headers[name];
    bytes += name.length + recordOverhead / 4;
    if (typeof value === "string" || Buffer.isBuffer(value)) bytes += value.length;
    else if (Array.isArray(value)) for (const v of value) bytes += v.length;
  }
  return bytes;
}

/** A record's size in a batch, estimated from above (strings counted as their UTF-16 length at most ×3). */
export function recordBytes(message: Message): number {
  const { key, value } = message;
  const keyBytes =
    key === null || key === undefined ? 0 : typeof key === "string" ? key.length * 3 : key.length;
  const valueBytes =
    value === null || value === undefined ? 0 : typeof value === "string" ? value.length * 3 : value.length;
  return keyBytes + valueBytes + headerBytes(message.headers) + recordOverhead;
}

/**
 * The failure an event gets when its own output is larger than its topic accepts: the event's
 * fault (a 400), so it is dead-lettered at once, with this reason, instead of failing the
 * write of every output beside it.
 */
export function outputTooLarge(bytes: number, topic: string, limit: number): StepError {
  const message = `output of about ${bytes} bytes is larger than topic "${topic}" accepts (${limit} bytes a write)`;
  return new StepError(
    "output",
    { step: "output", code: "OUTPUT_TOO_LARGE", message, status: 400 },
    "SLUICE_ERR_INPUT",
    undefined,
  );
}
