import { setTimeout as sleep } from "node:timers/promises";
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "./connection.js";

/**
 * What a core NATS trigger reaches its server through: a connection to the trigger's URL
 * unless given. Tests hand in a scripted one to drive messages without a server.
 */
export interface NatsCoreLinks {
  connect(): Promise<NatsConnection>;
}

/**
 * What a JetStream trigger reaches its server, and waits, through: made from the trigger's
 * URL unless given. Tests hand in scripted ones to drive deliveries without a server.
 */
export interface JetStreamLinks extends NatsCoreLinks {
  /** The stream and the durable consumer are looked up and made with it. */
  manager(connection: NatsConnection): Promise<JetStreamManager>;
  /** Pulls, and publishes acknowledged by a stream, go through it. */
  client(connection: NatsConnection): JetStreamClient;
  /** Waits between attempts to recreate a durable consumer. */
  sleep(ms: number): Promise<unknown>;
}

/** The links of a trigger to the NATS server at `url`, the connection named after `client`. */
export function serverLinks(url: string, client: string): JetStreamLinks {
  return {
    connect: () => connectNats(url, client),
    manager: (connection) => jetstreamManager(connection),
    client: (connection) => jetstream(connection),
    sleep,
  };
}
