import { randomUUID } from "node:crypto";
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { GraphEvent, NatsTrigger as NatsTriggerSpec } from "../../graph/index.js";
import { encodeBody } from "../codec.js";
import type { EventHandler, Trigger, TriggerContext, TriggerState } from "../contract.js";
import { HealthState, type TriggerHealth } from "../health.js";
import { connectNats } from "./connection.js";
import { consumeBounded } from "./in-flight.js";
import type { NatsCoreLinks } from "./links.js";
import { bodyOf, headersOf, outputHeaders } from "./message.js";

/**
 * Core NATS: a subscription (with a queue group, so replicas share the subject). Core NATS
 * has no acknowledgements, so this is at most once: a message that fails, or that arrives
 * while no process listens, is gone. Use `jetstream:` when events must not be lost.
 * Requests (messages with a reply subject) are answered with the graph's response.
 */
export class NatsCoreTrigger implements Trigger {
  readonly kind = "nats";
  readonly name: string;
  #state: TriggerState = "created";
  #connection: NatsConnection | undefined;
  #subscription: Subscription | undefined;
  /** Ends once the subscription is drained and every message taken has been handled. */
  #loop: Promise<void> | undefined;
  readonly #health = new HealthState();
  readonly #links: NatsCoreLinks;

  constructor(
    readonly spec: NatsTriggerSpec,
    readonly context: TriggerContext,
    links?: NatsCoreLinks,
  ) {
    this.name = `nats:${spec.subject}`;
    // Only the connection: a core trigger does not load the JetStream client.
    this.#links = links ?? { connect: () => connectNats(spec.url, context.graph) };
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
    this.#subscription = nc.subscribe(this.spec.subject, this.spec.queue ? { queue: this.spec.queue } : {});
    // Round-trip once so the server knows the subscription before start() resolves.
    await nc.flush();
    const concurrency = typeof this.spec.concurrency === "number" ? this.spec.concurrency : 64;
    this.#loop = consumeBounded(this.#subscription, concurrency, (msg) => this.#handle(nc, msg, handler));
    this.#state = "running";
    this.#health.set("running");
  }

  async #handle(nc: NatsConnection, msg: Msg, handler: EventHandler): Promise<void> {
    const headers = headersOf(msg.headers);
    let event: GraphEvent | undefined;
    try {
      event = {
        id: headers["nats-msg-id"] ?? randomUUID(),
        body: bodyOf(msg.data, headers["content-type"]),
        path: `/${msg.subject}`,
        method: "POST",
        headers,
        key: undefined,
        time: Date.now(),
        trigger: { kind: "nats", name: msg.subject },
      };
      const result = await handler(event);
      this.context.onEvent?.(this.name, "ok");
      const output = (this.spec.output as { subject?: string } | undefined)?.subject;
      if (output && result !== undefined)
        nc.publish(output, encodeBody(result), { headers: outputHeaders(event.id, headers.traceparent) });
      if (msg.reply) msg.respond(encodeBody(result));
    } catch (error) {
      this.context.onEvent?.(this.name, "failed");
      this.context.logger.warn(
        { err: error, subject: msg.subject, event: event?.id },
        "event failed (core NATS: not redelivered)",
      );
      if (msg.reply)
        msg.respond(encodeBody({ error: error instanceof Error ? error.message : String(error) }));
    }
  }

  async drain(): Promise<void> {
    if (this.#state !== "running") return;
    this.#state = "draining";
    this.#health.set("stopped");
    // Stop taking messages, let those already taken finish, then flush their outputs.
    await this.#subscription?.drain();
    await this.#loop;
    await this.#connection?.flush();
  }

  async close(): Promise<void> {
    if (this.#state === "closed") return;
    await this.drain();
    await this.#connection?.close();
    this.#state = "closed";
  }
}
