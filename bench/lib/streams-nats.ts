/**
 * JetStream for the stream bench: a nats-server of the bench's own (test/infra), streams,
 * counts and latencies read back, and the two contenders: sluice's JetStream trigger in an
 * in-process gateway, and a bare nats.js pull-consume → publish → ack loop with the same
 * consumer settings.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type RunningNats, startNats } from "../../test/infra/nats-server.js";
import {
  type BenchBody,
  eventJson,
  gatewayFor,
  outputBody,
  type Pipe,
  threeSteps,
  transform,
} from "./streams-common.js";

/** The trigger's defaults (src/triggers/nats/jetstream-trigger.ts), which the bare loop copies. */
export const consumerSettings = { ackWaitMs: 30_000, maxMessages: 64 };

export class NatsBed {
  #names = 0;

  private constructor(
    readonly server: RunningNats,
    readonly workDir: string,
    readonly nc: NatsConnection,
    readonly jsm: JetStreamManager,
    readonly js: JetStreamClient,
  ) {}

  /** Starts nats-server with JetStream on a free loopback port (test/infra/nats-server.ts). */
  static async start(): Promise<NatsBed> {
    const workDir = await mkdtemp(join(tmpdir(), "sluice-bench-nats-"));
    const server = await startNats(workDir);
    const nc = await connect({ servers: server.url });
    return new NatsBed(server, workDir, nc, await jetstreamManager(nc), jetstream(nc));
  }

  get url(): string {
    return this.server.url;
  }

  /** A unique name, for streams (upper case), subjects and durables. */
  name(prefix: string): string {
    return `${prefix}_${++this.#names}_${Date.now().toString(36)}`;
  }

  /** A fresh stream capturing one fresh subject. */
  async stream(prefix: string): Promise<{ stream: string; subject: string }> {
    const stream = this.name(prefix.toUpperCase());
    const subject = `${stream.toLowerCase()}.events`;
    await this.jsm.streams.add({ name: stream, subjects: [subject] });
    return { stream, subject };
  }

  async deleteStream(stream: string): Promise<void> {
    await this.jsm.streams.delete(stream).catch(() => undefined);
  }

  async deleteDurable(stream: string, durable: string): Promise<void> {
    await this.jsm.consumers.delete(stream, durable).catch(() => undefined);
  }

  /** Writes events 0 .. n-1, each acknowledged by the stream, `window` in flight. */
  async fill(subject: string, n: number, window = 1_000): Promise<void> {
    for (let from = 0; from < n; from += window) {
      const sends = [];
      for (let i = from; i < Math.min(n, from + window); i++)
        sends.push(this.js.publish(subject, eventJson(i, Date.now()).value));
      await Promise.all(sends);
    }
  }

  /** Publishes on the core connection: the stream stores them; `flush` makes sure the server has them. */
  async send(subject: string, events: { value: string }[]): Promise<void> {
    for (const e of events) this.nc.publish(subject, e.value);
    await this.nc.flush();
  }

  async count(stream: string): Promise<number> {
    return (await this.jsm.streams.info(stream)).state.messages;
  }

  /**
   * Reads the `count` outputs of a steady run: for each, its event number and its latency in
   * ms (the time the output stream stored it minus the event's `at`).
   */
  async latencies(stream: string, count: number, timeoutMs = 60_000): Promise<{ i: number; ms: number }[]> {
    const consumer = await this.js.consumers.get(stream);
    const messages = await consumer.consume();
    const timer = setTimeout(() => void messages.close(), timeoutMs);
    const got: { i: number; ms: number }[] = [];
    for await (const m of messages) {
      const body = outputBody(m.string());
      got.push({ i: body.i, ms: m.info.timestampNanos / 1e6 - body.at });
      if (got.length >= count) break;
    }
    clearTimeout(timer);
    if (got.length < count) throw new Error(`read ${got.length} of ${count} outputs of ${stream}`);
    return got;
  }

  async close(): Promise<void> {
    await this.nc.close().catch(() => undefined);
    await this.server.service.stop();
    await rm(this.server.storeDir, { recursive: true, force: true });
    await rm(this.workDir, { recursive: true, force: true });
  }
}

export interface JetStreamRoute {
  stream: string;
  subject: string;
  durable: string;
  /** Captured by a stream, so every publish waits for the stream's ack (as sluice's does). */
  output: string;
}

/** sluice: an in-process gateway whose graph's JetStream trigger reads through a fresh durable. */
export async function sluiceJetStreamPipe(bed: NatsBed, route: JetStreamRoute): Promise<Pipe> {
  const gateway = await gatewayFor(
    [
      "apiVersion: sluice/v1",
      "kind: Graph",
      "metadata: {name: bench-jetstream}",
      "spec:",
      threeSteps,
      "  triggers:",
      "    - kind: nats",
      `      url: "${bed.url}"`,
      `      subject: ${route.subject}`,
      `      jetstream: {stream: ${route.stream}, durable: ${route.durable}}`,
      `      output: {subject: ${route.output}}`,
      "",
    ].join("\n"),
  );
  return { stop: () => gateway.close() };
}

/**
 * The baseline: the same durable pull consumer (explicit acks, from the start, 64 messages
 * pulled at a time), and per message: the three steps, a JetStream publish awaited, an ack.
 */
export async function bareJetStreamPipe(bed: NatsBed, route: JetStreamRoute): Promise<Pipe> {
  const nc = await connect({ servers: bed.url, maxReconnectAttempts: -1 });
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.add(route.stream, {
    durable_name: route.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: route.subject,
    max_deliver: -1,
    ack_wait: consumerSettings.ackWaitMs * 1_000_000,
  });
  const js = jetstream(nc);
  const consumer = await js.consumers.get(route.stream, route.durable);
  const messages = await consumer.consume({ max_messages: consumerSettings.maxMessages });
  const loop = (async () => {
    for await (const m of messages) {
      const out = transform(m.json<BenchBody>());
      await js.publish(route.output, JSON.stringify(out));
      m.ack();
    }
  })();
  return {
    async stop() {
      await messages.close();
      await loop;
      await nc.flush();
      await nc.close();
    },
  };
}
