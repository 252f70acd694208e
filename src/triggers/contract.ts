import type { GraphEvent, Logger } from "../graph/index.js";
import type { TriggerHealth } from "./health.js";

/**
 * What a trigger hands each event to: the graph (or a segment of it). It returns the response
 * (the responder's output) when every step ran synchronously, else a promise of it; a failure
 * is thrown, or rejects the promise. Stream triggers await only a promise: an all-sync graph
 * then costs no microtask per event.
 */
export type EventHandler = (event: GraphEvent) => unknown;

/** What became of a stream event, as counted. */
export type StreamOutcome = "ok" | "retried" | "dead_lettered" | "failed" | "dlq_failed";

/** Lifecycle of a trigger, as a named state. */
export type TriggerState = "created" | "running" | "draining" | "closed";

/**
 * An event source. Tiny on purpose: the trigger connects, reads, acknowledges and stops; the
 * engine (the handler it is given) runs the graph. `drain()` finishes the events in flight and
 * commits their offsets or acks; `close()` lets go of connections.
 */
export interface Trigger {
  readonly kind: string;
  /** A name for logs and metrics, e.g. `kafka:tx` or `nats:tx.in`. */
  readonly name: string;
  readonly state: TriggerState;
  /** Whether it is consuming, and why not: what readiness, the admin plane and `sluice_trigger_up` report. */
  readonly health: TriggerHealth;
  start(handler: EventHandler): Promise<void>;
  drain(): Promise<void>;
  close(): Promise<void>;
}

export interface TriggerContext {
  /** The graph's name: default consumer group names and client ids derive from it. */
  graph: string;
  logger: Logger;
  /** Counts events by outcome (`dlq_failed`: a dead letter the DLQ did not take, retried); optional. */
  onEvent?: (trigger: string, outcome: StreamOutcome) => void;
  /** Counts a durable consumer recreated after its stream lost it (JetStream); optional. */
  onRecreated?: (trigger: string) => void;
}
