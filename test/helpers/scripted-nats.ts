import type { ConsumerConfig, JetStreamClient, JetStreamManager, JsMsg } from "@nats-io/jetstream";
import { type MsgHdrs, type NatsConnection, headers as natsHeaders } from "@nats-io/transport-node";
import type { NatsTrigger as NatsTriggerSpec } from "../../src/graph/index.js";
import { NatsCoreTrigger } from "../../src/triggers/nats/core-trigger.js";
import { JetStreamTrigger } from "../../src/triggers/nats/jetstream-trigger.js";
import type { JetStreamLinks } from "../../src/triggers/nats/links.js";
import { memoryLogger } from "./graphs.js";

/** An async source the test feeds by hand, as nats.js hands out messages: `push`, then `end`. */
export class Feed<M> implements AsyncIterable<M> {
  readonly #queue: M[] = [];
  #wake: (() => void) | undefined;
  #ended = false;

  push(message: M): void {
    this.#queue.push(message);
    this.#poke();
  }

  end(): void {
    this.#ended = true;
    this.#poke();
  }

  #poke(): void {
    this.#wake?.();
    this.#wake = undefined;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<M> {
    for (;;) {
      if (this.#queue.length > 0) yield this.#queue.shift() as M;
      else if (this.#ended) return;
      else await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }
}

/** A message as published: where, the bytes as text, and its headers. */
export interface Published {
  subject: string;
  text: string;
  headers: MsgHdrs | undefined;
}

/** A pull the JetStream trigger opened: the test delivers messages and statuses through it. */
export interface ScriptedPull {
  options: { max_messages?: number; expires?: number };
  messages: Feed<JsMsg>;
  statuses: Feed<{ type: string; count?: number }>;
  closed: boolean;
}

/** Headers from a plain map, as a publisher would set them. */
export function headersFrom(map: Record<string, string>): MsgHdrs {
  const h = natsHeaders();
  for (const [name, value] of Object.entries(map)) h.set(name, value);
  return h;
}

/** A body as the bytes a publisher sends: JSON unless it is bytes already. */
function bytesOf(body: unknown): Uint8Array {
  return body instanceof Uint8Array ? body : new TextEncoder().encode(JSON.stringify(body));
}

/**
 * NATS on scripted links: no server. The test delivers messages (core or JetStream) and sees,
 * in order, everything the trigger does with them (`log`): `ack <seq>`, `nak <seq> <ms>`,
 * `term <seq>`, `working <seq>`, `publish <subject>` (core), `js publish <subject>` (acked by
 * a stream), `published <subject>` (its ack came), `respond <text>`, `flush`, `close`,
 * `drain`, `sleep <ms>`. Publishes to a stream wait for `release()` once `holdPublishes()`
 * was called; waits between attempts return at once and are recorded.
 */
export class ScriptedNats {
  readonly log: string[] = [];
  readonly published: Published[] = [];
  readonly responses: string[] = [];
  readonly logger = memoryLogger();
  /** Every event outcome the trigger counted, in order. */
  readonly outcomes: string[] = [];
  /** Durable consumers recreated, as counted. */
  recreated = 0;
  /** Streams that exist, and the subjects a stream captures. */
  readonly streams = new Set<string>(["S"]);
  readonly captured = new Set<string>();
  /** Errors the next adds of a durable consumer throw, in order. */
  addFailures: unknown[] = [];
  /** Errors the next publishes throw (core) or reject with (stream), by subject. */
  readonly publishFailures = new Map<string, unknown[]>();
  /** Every durable consumer added, with its settings. */
  readonly consumers: { stream: string; config: Partial<ConsumerConfig> }[] = [];
  /** Every pull the trigger opened, the current one last. */
  readonly pulls: ScriptedPull[] = [];
  /** Core subscriptions: their subject, options and message source. */
  readonly subscriptions: { subject: string; options: { queue?: string }; messages: Feed<unknown> }[] = [];
  readonly connection: NatsConnection;
  readonly links: JetStreamLinks;
  /** Pulls' statuses go on after the pull closed, as nats.js hands out those it queued before. */
  statusesOutliveClose = false;
  #held = false;
  readonly #waiting: (() => void)[] = [];
  #closeGate: Promise<void> | undefined;

  /** Pulls closed from now on end only once the returned function is called. */
  holdCloses(): () => void {
    let open = () => {};
    this.#closeGate = new Promise<void>((resolve) => {
      open = resolve;
    });
    return () => {
      this.#closeGate = undefined;
      open();
    };
  }

  /** `counting: false`: a context without counters (the gateway's are optional). */
  constructor(readonly options: { counting?: boolean } = {}) {
    const connection = {
      subscribe: (subject: string, options: { queue?: string }) => {
        const messages = new Feed<unknown>();
        this.subscriptions.push({ subject, options, messages });
        return Object.assign(messages, {
          drain: async () => {
            this.log.push("drain");
            messages.end();
          },
        });
      },
      publish: (subject: string, data: Uint8Array, options?: { headers?: MsgHdrs }) => {
        this.#record("publish", subject, data, options?.headers);
      },
      flush: async () => {
        this.log.push("flush");
      },
      close: async () => {
        this.log.push("close");
      },
    };
    const manager = {
      streams: {
        info: async (name: string) => {
          if (!this.streams.has(name)) throw new Error("stream not found");
          return { config: { name } };
        },
        find: async (subject: string) => {
          if (!this.captured.has(subject)) throw new Error("no stream matches subject");
          return "S";
        },
      },
      consumers: {
        add: async (stream: string, config: Partial<ConsumerConfig>) => {
          this.log.push(`add ${config.durable_name}`);
          if (this.addFailures.length > 0) throw this.addFailures.shift();
          this.consumers.push({ stream, config });
          return {};
        },
      },
    };
    const client = {
      consumers: {
        get: async (_stream: string, _durable: string) => ({
          consume: async (options: ScriptedPull["options"]) => {
            const pull: ScriptedPull = { options, messages: new Feed(), statuses: new Feed(), closed: false };
            this.pulls.push(pull);
            return Object.assign(pull.messages, {
              status: () => pull.statuses,
              close: async () => {
                pull.closed = true;
                // A pull winds down on the server's answer: the test may hold it (`holdCloses`).
                await this.#closeGate;
                pull.messages.end();
                if (!this.statusesOutliveClose) pull.statuses.end();
              },
            });
          },
        }),
      },
      publish: async (subject: string, data: Uint8Array, options?: { headers?: MsgHdrs }) => {
        this.#record("js publish", subject, data, options?.headers);
        if (this.#held) await new Promise<void>((resolve) => this.#waiting.push(resolve));
        this.log.push(`published ${subject}`);
        return {};
      },
    };
    this.connection = connection as unknown as NatsConnection;
    this.links = {
      connect: async () => this.connection,
      manager: async () => manager as unknown as JetStreamManager,
      client: () => client as unknown as JetStreamClient,
      sleep: async (ms: number) => {
        this.log.push(`sleep ${ms}`);
      },
    };
  }

  #record(how: string, subject: string, data: Uint8Array, headers: MsgHdrs | undefined): void {
    this.log.push(`${how} ${subject}`);
    const failures = this.publishFailures.get(subject);
    if (failures && failures.length > 0) throw failures.shift();
    this.published.push({ subject, text: Buffer.from(data).toString("utf8"), headers });
  }

  /** A core trigger on these links. */
  coreTrigger(spec: Partial<NatsTriggerSpec> = {}): NatsCoreTrigger {
    return new NatsCoreTrigger(
      { kind: "nats", url: "nats://scripted:4222", subject: "in", ...spec } as NatsTriggerSpec,
      this.#context(),
      this.links,
    );
  }

  /** A JetStream trigger on these links, on stream S with the durable consumer "d" unless said. */
  jetStreamTrigger(
    spec: Partial<NatsTriggerSpec> = {},
    jetstream: Record<string, unknown> = {},
  ): JetStreamTrigger {
    return new JetStreamTrigger(
      {
        kind: "nats",
        url: "nats://scripted:4222",
        subject: "in",
        jetstream: { stream: "S", durable: "d", ...jetstream },
        ...spec,
      } as NatsTriggerSpec,
      this.#context(),
      this.links,
    );
  }

  #context() {
    if (this.options.counting === false) return { graph: "scripted", logger: this.logger };
    return {
      graph: "scripted",
      logger: this.logger,
      onEvent: (_name: string, outcome: string) => this.outcomes.push(outcome),
      onRecreated: () => {
        this.recreated++;
      },
    };
  }

  /** A core message on `subject`, a request when it has a reply subject. */
  coreMessage(body: unknown, options: { subject?: string; reply?: string; headers?: MsgHdrs } = {}) {
    const subject = options.subject ?? "in";
    return {
      subject,
      data: bytesOf(body),
      headers: options.headers,
      reply: options.reply ?? "",
      respond: (data: Uint8Array) => {
        const text = Buffer.from(data).toString("utf8");
        this.log.push(`respond ${text}`);
        this.responses.push(text);
        return true;
      },
    };
  }

  /** Delivers core messages on the latest subscription. */
  send(...messages: unknown[]): void {
    const subscription = this.subscriptions.at(-1);
    if (!subscription) throw new Error("nothing subscribed");
    for (const message of messages) subscription.messages.push(message);
  }

  /** A JetStream message: its stream sequence, body and how many times it has been delivered. */
  jsMessage(
    seq: number,
    body: unknown,
    options: { deliveryCount?: number; subject?: string; headers?: MsgHdrs; timestampNanos?: number } = {},
  ): JsMsg {
    const message = {
      seq,
      subject: options.subject ?? "in",
      data: bytesOf(body),
      headers: options.headers,
      info: {
        stream: "S",
        deliveryCount: options.deliveryCount ?? 1,
        timestampNanos: options.timestampNanos ?? 1_700_000_000_000_000_000,
      },
      ack: () => this.log.push(`ack ${seq}`),
      nak: (ms?: number) => this.log.push(`nak ${seq} ${ms}`),
      term: (reason?: string) =>
        this.log.push(reason === undefined ? `term ${seq}` : `term ${seq} ${reason}`),
      working: () => this.log.push(`working ${seq}`),
    };
    return message as unknown as JsMsg;
  }

  /** Delivers JetStream messages on the current pull. */
  deliver(...messages: JsMsg[]): void {
    const pull = this.#pull();
    for (const message of messages) pull.messages.push(message);
  }

  /** Tells the current pull's status listener of a status (`consumer_deleted`, `heartbeats_missed`...). */
  status(type: string, count?: number): void {
    this.#pull().statuses.push({ type, ...(count === undefined ? {} : { count }) });
  }

  #pull(): ScriptedPull {
    const pull = this.pulls.at(-1);
    if (!pull) throw new Error("no pull opened");
    return pull;
  }

  /** Publishes to a stream wait for `release()` from now on. */
  holdPublishes(): void {
    this.#held = true;
  }

  /** Answers the publishes waiting, and every later one at once. */
  release(): void {
    this.#held = false;
    for (const resolve of this.#waiting.splice(0)) resolve();
  }

  /** How many publishes wait for `release()`. */
  get publishesWaiting(): number {
    return this.#waiting.length;
  }

  /** The log lines that start with `prefix`. */
  lines(prefix: string): string[] {
    return this.log.filter((line) => line.startsWith(prefix));
  }
}
