import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { SluiceError } from "../../errors.js";
import { parseDuration } from "../../graph/duration.js";
import type { GraphEvent, NatsTrigger as NatsTriggerSpec } from "../../graph/index.js";
import { encodeBody, errorInfoOf, headerNames } from "../codec.js";
import type { EventHandler, Trigger, TriggerContext, TriggerState } from "../contract.js";
import { defaultStalledAfterMs, HealthState, type TriggerHealth } from "../health.js";
import { backoffMs, isRetryable } from "../retry.js";
import { consumeEagerly } from "./in-flight.js";
import { type JetStreamLinks, serverLinks } from "./links.js";
import { bodyOf, headersOf, outputHeaders } from "./message.js";

interface JetStreamSettings {
  stream: string;
  durable: string;
  maxDeliver: number;
  ackWaitMs: number;
  concurrency: number;
  outputSubject: string | undefined;
  dlqSubject: string | undefined;
  stalledAfterMs: number;
}

function settingsOf(spec: NatsTriggerSpec): JetStreamSettings {
  const js = spec.jetstream as NonNullable<NatsTriggerSpec["jetstream"]>;
  return {
    stream: js.stream,
    durable: js.durable,
    maxDeliver: js.maxDeliver ?? 5,
    ackWaitMs: parseDuration((js.ackWait as string | number | undefined) ?? 30_000) ?? 30_000,
    concurrency: typeof spec.concurrency === "number" ? spec.concurrency : 1,
    outputSubject: (spec.output as { subject?: string } | undefined)?.subject,
    dlqSubject: (spec.dlq as { subject?: string } | undefined)?.subject,
    stalledAfterMs:
      parseDuration((spec.stalledAfter as string | number | undefined) ?? defaultStalledAfterMs) ??
      defaultStalledAfterMs,
  };
}

/**
 * JetStream: a durable pull consumer, at least once. A message is acked only after its event
 * finished and its output was published; a failure is `nak`ed with a growing delay, and after
 * `maxDeliver` deliveries it is published to the DLQ subject (with headers saying where and
 * why) and `term`inated. Every message taken, running or waiting its turn, is kept with
 * `working()`, so none is redelivered while this process still holds it. A durable consumer
 * deleted under the trigger (its stream deleted and made again) is recreated.
 */
export class JetStreamTrigger implements Trigger {
  readonly kind = "nats";
  readonly name: string;
  #state: TriggerState = "created";
  readonly #settings: JetStreamSettings;
  #connection: NatsConnection | undefined;
  #js: JetStreamClient | undefined;
  #jsm: JetStreamManager | undefined;
  #messages: ConsumerMessages | undefined;
  #handler: EventHandler | undefined;
  /** Ends once every pull opened so far is closed and every message it took has been handled. */
  #loops: Promise<unknown> = Promise.resolve();
  /** Messages taken and not yet acked, nak'ed or terminated: told we are `working()` on them. */
  readonly #held = new Set<JsMsg>();
  #recreating = false;
  #keepAlive: NodeJS.Timeout | undefined;
  /** Whether the output and DLQ subjects are captured by a stream (then publishes wait for its ack). */
  #outputIsStream = false;
  #dlqIsStream = false;
  readonly #health: HealthState;
  readonly #links: JetStreamLinks;

  constructor(
    readonly spec: NatsTriggerSpec,
    readonly context: TriggerContext,
    links?: JetStreamLinks,
  ) {
    this.#settings = settingsOf(spec);
    this.#links = links ?? serverLinks(spec.url, context.graph);
    this.name = `jetstream:${this.#settings.stream}/${this.#settings.durable}`;
    this.#health = new HealthState(this.#settings.stalledAfterMs);
  }

  get state(): TriggerState {
    return this.#state;
  }

  get health(): TriggerHealth {
    return this.#health.value;
  }

  async start(handler: EventHandler): Promise<void> {
    const nc = await this.#links.connect();
    this.#connection = nc;
    const jsm = await this.#links.manager(nc);
    this.#jsm = jsm;
    const s = this.#settings;
    await jsm.streams.info(s.stream).catch((error: unknown) => {
      throw new SluiceError(
        "SLUICE_ERR_INTERNAL",
        `JetStream stream "${s.stream}" is not there: ${(error as Error).message}`,
      );
    });
    await this.#addConsumer();
    const captured = (subject: string | undefined) =>
      subject
        ? jsm.streams.find(subject).then(
            () => true,
            () => false,
          )
        : Promise.resolve(false);
    this.#outputIsStream = await captured(s.outputSubject);
    this.#dlqIsStream = await captured(s.dlqSubject);
    this.#js = this.#links.client(nc);
    this.#handler = handler;
    this.#state = "running";
    await this.#consume();
    // One timer for every message taken, waiting or running, rather than one per message.
    this.#keepAlive = setInterval(
      () => {
        for (const msg of this.#held) msg.working();
      },
      Math.max(100, s.ackWaitMs / 2),
    );
    this.#health.set("running");
  }

  /** The durable consumer, created on first start and reused (with its position) after. */
  async #addConsumer(): Promise<void> {
    const s = this.#settings;
    await (this.#jsm as JetStreamManager).consumers.add(s.stream, {
      durable_name: s.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: this.spec.subject,
      // The server never gives a message up on its own: `maxDeliver` is applied here, to the
      // graph's failures only, so a broker or DLQ outage cannot lose an event.
      max_deliver: -1,
      ack_wait: s.ackWaitMs * 1_000_000,
    });
  }

  /** Pulls from the durable consumer, handling every message taken and watching the pull's status. */
  async #consume(): Promise<void> {
    const s = this.#settings;
    const consumer = await (this.#js as JetStreamClient).consumers.get(s.stream, s.durable);
    // Pull-ahead is bounded; every message taken is kept alive until it is handled (see consumeEagerly).
    // Pulls expire every 10 s, so a consumer deleted under us is noticed (its heartbeats stop) soon.
    const messages = await consumer.consume({
      max_messages: Math.max(64, s.concurrency * 2),
      expires: 10_000,
    });
    this.#messages = messages;
    const handler = this.#handler as EventHandler;
    const loop = consumeEagerly(messages, s.concurrency, (msg) => this.#handle(msg, handler), {
      taken: (msg) => this.#held.add(msg),
      stopping: () => this.#state !== "running" || this.#messages !== messages,
      // Not started and no longer kept alive: the server hands it out again after ackWait. (A
      // nak would do it at once, but while this process is still winding down its pull, and a
      // message nak'ed then was seen run twice.)
      release: (msg) => this.#held.delete(msg),
    });
    // A recreation's old pull may still be finishing what it took: a drain waits for both.
    this.#loops = Promise.all([this.#loops, loop]);
    void this.#watch(messages);
  }

  /**
   * Follows the pull's status. A durable consumer that disappears (its stream deleted, and
   * perhaps made again, or the consumer deleted) ends consumption without an error: the pull
   * just waits for ever. It is recreated as on first start; missed heartbeats count toward a stall.
   */
  async #watch(messages: ConsumerMessages): Promise<void> {
    for await (const status of messages.status()) {
      // A pull replaced by a recreation speaks of a consumer that is gone (nats.js still hands
      // out the statuses it queued before the close).
      if (this.#messages !== messages) return;
      switch (status.type) {
        case "consumer_deleted":
        case "consumer_not_found":
        case "stream_not_found":
          void this.#recreate(status.type.replaceAll("_", " "));
          break;
        case "heartbeats_missed":
          this.#health.block(this.name, `${status.count} heartbeats missed from the server`);
          break;
        case "heartbeat":
        case "next":
          this.#health.unblock(this.name);
          break;
        default:
      }
    }
  }

  /** Recreates the durable consumer (retrying while its stream is missing) and pulls from it afresh. */
  async #recreate(why: string): Promise<void> {
    if (this.#recreating || this.#state !== "running") return;
    this.#recreating = true;
    const s = this.#settings;
    const reason = `durable consumer "${s.durable}" of stream "${s.stream}" is gone (${why})`;
    this.#health.set("crashed", `${reason}; recreating it`);
    this.context.logger.error({ trigger: this.name }, `${reason}; recreating it`);
    try {
      for (let attempt = 1; ; attempt++) {
        if (this.#state !== "running") return;
        try {
          await this.#addConsumer();
          break;
        } catch (error) {
          this.#health.set("crashed", `${reason}; cannot recreate it: ${(error as Error).message}`);
          await this.#links.sleep(backoffMs(attempt, 500, 5_000));
        }
      }
      // The old pull belongs to the consumer that is gone: stop it, and pull from the new one.
      const old = this.#messages;
      this.#messages = undefined;
      await old?.close();
      await this.#consume();
      this.context.onRecreated?.(this.name);
      this.context.logger.warn({ trigger: this.name }, `durable consumer "${s.durable}" recreated`);
      this.#health.unblock(this.name);
      this.#health.set("running");
    } finally {
      this.#recreating = false;
    }
  }

  async #handle(msg: JsMsg, handler: EventHandler): Promise<void> {
    const s = this.#settings;
    const headers = headersOf(msg.headers);
    try {
      const event: GraphEvent = {
        // Stable across redeliveries, so a split router sends a retried event the same way.
        id: `${msg.info.stream}/${msg.seq}`,
        body: bodyOf(msg.data, headers["content-type"]),
        path: `/${msg.subject}`,
        method: "POST",
        headers,
        key: undefined,
        time: Math.floor(msg.info.timestampNanos / 1_000_000),
        trigger: { kind: "nats", name: msg.subject },
      };
      const result = await handler(event);
      if (s.outputSubject && result !== undefined) {
        const published = await this.#publish(
          s.outputSubject,
          encodeBody(result),
          outputHeaders(event.id, headers.traceparent),
        ).then(
          () => true,
          (failure: unknown) => {
            // The broker, not the event, failed: try again later however many deliveries it
            // took, so an outage never sends good events to the DLQ.
            this.context.logger.warn(
              { err: failure, subject: msg.subject, seq: msg.seq },
              "output not published; redelivering",
            );
            msg.nak(backoffMs(msg.info.deliveryCount));
            return false;
          },
        );
        if (!published) return;
      }
      msg.ack();
      this.context.onEvent?.(this.name, "ok");
    } catch (error) {
      const deliveries = msg.info.deliveryCount;
      if (isRetryable(error) && deliveries < s.maxDeliver) {
        this.context.onEvent?.(this.name, "retried");
        msg.nak(backoffMs(deliveries));
      } else {
        await this.#deadLetter(msg, error, deliveries).catch((failure: unknown) => {
          // The DLQ did not take it (its stream gone, the broker away). Not terminated: while
          // deliveries are left the server hands the message out again and we try again.
          // (A rejection here would be unhandled and take the whole process down.)
          this.context.logger.error(
            { err: failure, subject: msg.subject, seq: msg.seq, deliveries },
            "dead letter not written; the message stays on the stream",
          );
          msg.nak(backoffMs(deliveries));
        });
      }
    } finally {
      this.#held.delete(msg);
    }
  }

  async #publish(
    subject: string,
    data: Uint8Array,
    headers: ReturnType<typeof outputHeaders>,
  ): Promise<void> {
    if (this.#outputIsStream) await (this.#js as JetStreamClient).publish(subject, data, { headers });
    else (this.#connection as NatsConnection).publish(subject, data, { headers });
  }

  async #deadLetter(msg: JsMsg, error: unknown, deliveries: number): Promise<void> {
    const s = this.#settings;
    const info = errorInfoOf(error);
    if (s.dlqSubject) {
      const h = outputHeaders(`${msg.info.stream}/${msg.seq}`, undefined);
      h.set(headerNames.errorStep, info.step);
      h.set(headerNames.errorCode, info.code);
      h.set(headerNames.errorMessage, info.message.slice(0, 1000).replace(/[\r\n]+/g, " "));
      h.set(headerNames.attempts, String(deliveries));
      h.set(headerNames.sourceSubject, msg.subject);
      h.set(headerNames.sourceSequence, String(msg.seq));
      if (this.#dlqIsStream)
        await (this.#js as JetStreamClient).publish(s.dlqSubject, msg.data, { headers: h });
      else (this.#connection as NatsConnection).publish(s.dlqSubject, msg.data, { headers: h });
    }
    this.context.onEvent?.(this.name, "dead_lettered");
    this.context.logger.warn(
      { subject: msg.subject, seq: msg.seq, deliveries, error: info },
      "event dead-lettered",
    );
    // No reason on the +TERM: servers before 2.10.4 only know a bare "+TERM" and take
    // "+TERM <reason>" for nothing at all, so the message would come back after ackWait.
    // The reason is in the DLQ headers and the log above.
    msg.term();
  }

  async drain(): Promise<void> {
    if (this.#state !== "running") return;
    this.#state = "draining";
    this.#health.set("stopped");
    // Stop pulling; messages already taken finish and are acked; the rest stay on the server.
    await this.#messages?.close();
    await this.#loops;
    clearInterval(this.#keepAlive);
    await this.#connection?.flush();
  }

  async close(): Promise<void> {
    if (this.#state === "closed") return;
    await this.drain();
    await this.#connection?.close();
    this.#state = "closed";
  }
}
