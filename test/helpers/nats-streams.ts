import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type JetStreamClient, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type Msg, type MsgHdrs, type NatsConnection } from "@nats-io/transport-node";
import { onTestFinished } from "vitest";
import { type RestartableNats, startRestartableNats } from "../infra/nats-server.js";
import { uniqueName } from "./brokers.js";
import { graphFile, triggerFixtures } from "./streams.js";

/** Writes a graph document to a temp file; `./nats-steps.mjs` and `./steps.mjs` point at the fixtures. */
export function natsGraphFile(yaml: string): Promise<string> {
  return graphFile(yaml.replaceAll("./nats-steps.mjs", join(triggerFixtures, "nats-steps.mjs")));
}

/** A connection that rides out server restarts; closed when the test finishes. */
export async function natsClient(url: string): Promise<NatsConnection> {
  const nc = await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  onTestFinished(async () => {
    if (!nc.isClosed()) await nc.close();
  });
  return nc;
}

/** A nats-server of the test's own (see test/infra/nats-server.ts), removed after the test. */
export async function ownNatsServer(): Promise<RestartableNats> {
  const server = await startRestartableNats();
  onTestFinished(() => server.close());
  return server;
}

/** Creates a JetStream stream capturing `subjects`. */
export async function addStream(nc: NatsConnection, name: string, subjects: string[]): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name, subjects });
}

/** A JetStream set-up of a test's own: events in, outputs and dead letters, each captured by a stream. */
export interface JetStreamBed {
  nc: NatsConnection;
  url: string;
  stream: string;
  subject: string;
  outStream: string;
  output: string;
  dlqStream: string;
  dlq: string;
  durable: string;
}

export async function jetstreamBed(nc: NatsConnection, url: string): Promise<JetStreamBed> {
  const bed: JetStreamBed = {
    nc,
    url,
    stream: uniqueName("IN"),
    subject: uniqueName("in"),
    outStream: uniqueName("OUT"),
    output: uniqueName("out"),
    dlqStream: uniqueName("DLQ"),
    dlq: uniqueName("dlq"),
    durable: uniqueName("durable"),
  };
  await addStream(nc, bed.stream, [bed.subject]);
  await addStream(nc, bed.outStream, [bed.output]);
  await addStream(nc, bed.dlqStream, [bed.dlq]);
  return bed;
}

/** A graph fed by the bed's durable consumer; `steps` is the YAML of its steps, indented by four. */
export function jetstreamGraph(
  bed: JetStreamBed,
  steps: string,
  options: { maxDeliver?: number; ackWait?: number; concurrency?: number } = {},
): Promise<string> {
  return natsGraphFile(`apiVersion: sluice/v1
kind: Graph
metadata: {name: js-scorer}
spec:
  steps:
${steps}
  triggers:
    - kind: nats
      url: "${bed.url}"
      subject: ${bed.subject}
      concurrency: ${options.concurrency ?? 16}
      jetstream: {stream: ${bed.stream}, durable: ${bed.durable}, maxDeliver: ${options.maxDeliver ?? 3}, ackWait: ${options.ackWait ?? 30_000}}
      output: {subject: ${bed.output}}
      dlq: {subject: ${bed.dlq}}
`);
}

/** Publishes JSON bodies to a subject through JetStream (each one acked by the stream). */
export async function publishEvents(
  nc: NatsConnection,
  subject: string,
  bodies: unknown[],
  window = 1000,
): Promise<void> {
  const js = jetstream(nc);
  for (let i = 0; i < bodies.length; i += window) {
    await Promise.all(bodies.slice(i, i + window).map((b) => js.publish(subject, JSON.stringify(b))));
  }
}

export interface StreamMessage<T = Record<string, unknown>> {
  seq: number;
  subject: string;
  /** The message parsed as JSON, or its text when it is not JSON (a dead-lettered garble). */
  body: T;
  headers: Record<string, string>;
}

function headerMap(hdrs: MsgHdrs | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, values] of hdrs ?? []) out[name.toLowerCase()] = values[0] ?? "";
  return out;
}

function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** How many messages a stream holds now. */
export async function streamCount(nc: NatsConnection, stream: string): Promise<number> {
  const jsm = await jetstreamManager(nc);
  return (await jsm.streams.info(stream)).state.messages;
}

/** Waits until a stream holds at least `count` messages; fails after `timeoutMs`. */
export async function waitForCount(
  nc: NatsConnection,
  stream: string,
  count: number,
  timeoutMs = 30_000,
): Promise<number> {
  return waitFor(
    () => streamCount(nc, stream),
    (n) => n >= count,
    timeoutMs,
    `${count} messages in stream ${stream}`,
  );
}

/** Reads a whole stream from the start (an ordered consumer) once it holds `count` messages. */
export async function readStream<T = Record<string, unknown>>(
  nc: NatsConnection,
  stream: string,
  count: number,
  timeoutMs = 30_000,
): Promise<StreamMessage<T>[]> {
  await waitForCount(nc, stream, count, timeoutMs);
  const consumer = await (jetstream(nc) as JetStreamClient).consumers.get(stream);
  const got: StreamMessage<T>[] = [];
  const messages = await consumer.consume();
  const timer = setTimeout(() => messages.stop(), timeoutMs);
  for await (const m of messages) {
    got.push({
      seq: m.seq,
      subject: m.subject,
      body: jsonOrText(m.string()) as T,
      headers: headerMap(m.headers),
    });
    if (got.length >= count) break;
  }
  clearTimeout(timer);
  if (got.length < count) throw new Error(`read only ${got.length} of ${count} messages from ${stream}`);
  return got;
}

/** Collects the JSON messages published to a core subject from now on. */
export function listen<T = Record<string, unknown>>(nc: NatsConnection, subject: string) {
  const got: T[] = [];
  const sub = nc.subscribe(subject, {
    callback: (_err: Error | null, msg: Msg) => {
      got.push(msg.json<T>());
    },
  });
  onTestFinished(() => sub.unsubscribe());
  return {
    got,
    /** Resolves once `count` messages arrived. */
    async until(count: number, timeoutMs = 30_000): Promise<T[]> {
      await waitFor(
        () => got.length,
        (n) => n >= count,
        timeoutMs,
        `${count} messages on ${subject}`,
      );
      return got;
    },
    /** Makes sure the server knows the subscription before anything is published. */
    ready: () => nc.flush(),
  };
}

/** Polls `read` until `done` says so; fails with what it was waiting for. */
export async function waitFor<T>(
  read: () => Promise<T> | T,
  done: (value: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    try {
      last = await read();
      if (done(last)) return last;
    } catch {
      // the server may be restarting; keep asking
    }
    await sleep(50);
  }
  throw new Error(`waited ${timeoutMs} ms for ${what}; last saw ${JSON.stringify(last)}`);
}

/**
 * Waits until the bed's durable consumer owes nothing: every message delivered and acked (or
 * terminated), none waiting. Past that nothing is redelivered or processed again, so a test
 * can count outputs and runs without waiting out an ack wait on the clock.
 */
export async function settled(bed: JetStreamBed, timeoutMs = 30_000): Promise<void> {
  const jsm = await jetstreamManager(bed.nc);
  await waitFor(
    () => jsm.consumers.info(bed.stream, bed.durable),
    (info) => info.num_ack_pending === 0 && info.num_pending === 0,
    timeoutMs,
    `consumer ${bed.durable} to have nothing pending`,
  );
}

/** Every message a stream holds now. */
export async function readAll<T = Record<string, unknown>>(
  nc: NatsConnection,
  stream: string,
): Promise<StreamMessage<T>[]> {
  const count = await streamCount(nc, stream);
  return count === 0 ? [] : readStream<T>(nc, stream, count);
}

/** Counts how often each key occurs; returns the keys seen more than once. */
export function duplicatesOf(keys: string[]): string[] {
  const seen = new Map<string, number>();
  for (const k of keys) seen.set(k, (seen.get(k) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([k]) => k);
}
