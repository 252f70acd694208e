import type { IHeaders, Message } from "kafkajs";
import type { GraphEvent } from "../../graph/index.js";
import { decodeBody, encodeBody, errorInfoOf, headerNames, headerString } from "../codec.js";

/** What every message of one fetched batch shares, worked out once a batch, not once an event. */
export interface Source {
  topic: string;
  partition: number;
  /** `topic/partition/`: an event's id is this and its offset. */
  idPrefix: string;
  /** The event's path: `/topic`. */
  path: string;
}

/**
 * A consumed message as the trigger reads it: kafkajs's `KafkaMessage` fits as it is; another
 * client's messages are brought to this shape.
 */
export interface ConsumedMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
  /** The offset in decimal, as kafkajs gives it. */
  offset: string;
  /** Milliseconds since the epoch, in decimal. */
  timestamp: string;
}

export function sourceOf(batch: { topic: string; partition: number }): Source {
  return {
    topic: batch.topic,
    partition: batch.partition,
    idPrefix: `${batch.topic}/${batch.partition}/`,
    path: `/${batch.topic}`,
  };
}

/** A message's headers by lower-case name, as strings (kafkajs gives Buffers, or lists of them). */
function headersOf(raw: IHeaders | undefined): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  // `for...in`, not Object.entries: most messages carry no headers, and this runs per event.
  for (const name in raw) headers[name.toLowerCase()] = headerString(raw[name]);
  return headers;
}

/** The graph event for a message; throws (a 400) when a JSON message does not parse. */
export function eventOf(message: ConsumedMessage, source: Source): GraphEvent {
  const headers = headersOf(message.headers);
  return {
    // Stable across redeliveries, so a split router sends a retried event the same way.
    id: source.idPrefix + message.offset,
    body: decodeBody(message.value, headers["content-type"]),
    path: source.path,
    method: "POST",
    headers,
    key: message.key?.toString("utf8"),
    time: Number(message.timestamp),
    trigger: { kind: "kafka", name: source.topic },
  };
}

/**
 * The output of an event: its key kept (so outputs of one key stay in one partition, in
 * order), the event id, and the trace context as the graph left it.
 */
export function outputOf(message: ConsumedMessage, event: GraphEvent, result: unknown): Message {
  // Strings, not Buffers: kafkajs writes a string header value as cheaply as a Buffer's bytes
  // (its cost is the per-header encoder either way), so a Buffer made here would only add.
  const traceparent = event.headers.traceparent;
  const headers: IHeaders = traceparent
    ? { [headerNames.eventId]: event.id, [headerNames.traceparent]: traceparent }
    : { [headerNames.eventId]: event.id };
  return { key: message.key, value: encodeBody(result), headers };
}

/** The message as it came, with headers that say where it came from and why it failed. */
export function deadLetterOf(
  message: ConsumedMessage,
  source: Source,
  error: unknown,
  attempts: number,
): Message {
  const info = errorInfoOf(error);
  return {
    key: message.key,
    value: message.value,
    headers: {
      ...message.headers,
      [headerNames.errorStep]: info.step,
      [headerNames.errorCode]: info.code,
      [headerNames.errorMessage]: info.message.slice(0, 1000),
      [headerNames.attempts]: String(attempts),
      [headerNames.sourceTopic]: source.topic,
      [headerNames.sourcePartition]: String(source.partition),
      [headerNames.sourceOffset]: message.offset,
    },
  };
}
