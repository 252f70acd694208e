/**
 * What user step modules see: the event, the context, and the shapes of handler functions,
 * step classes and model classes (DESIGN.md section 2, "Step module contracts").
 */

/** The minimal logger steps get; pino's loggers satisfy it. */
export interface Logger {
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

/** What an error handler learns about the failure it handles. */
export interface StepErrorInfo {
  step: string;
  code: string;
  message: string;
  status: number;
}

/** One event walking the graph: an HTTP request or a stream message. */
export interface GraphEvent {
  id: string;
  body: unknown;
  path: string;
  method: string;
  headers: Record<string, string | undefined>;
  key?: string | undefined;
  /** Milliseconds since the epoch when the event entered sluice. */
  time: number;
  trigger: { kind: string; name?: string };
  /**
   * Milliseconds since the epoch by which the caller wants an answer (the gateway sets it
   * from the request's timeout). Remote steps never retry, nor wait in a queue, past it.
   */
  deadline?: number;
  /**
   * Aborts when the caller went away (an HTTP client closed its connection). Set only for
   * graphs with a batching model, whose queued requests are then left out of their batch.
   */
  signal?: AbortSignal;
  /**
   * True when the caller writes a JSON answer that is still in its bytes (a JsonBytes) as
   * those bytes: the HTTP gateway does. A remote step whose answer nothing in the graph reads
   * then hands it on unparsed; for any other caller it parses it as always.
   */
  answerBytes?: boolean;
  /**
   * The JSON the gateway read and wrote for this event, kept only for graphs that record
   * their model calls (docs/monitoring.md), whose records reuse it.
   */
  json?: EventJson;
  /** Set for error handlers. */
  error?: StepErrorInfo;
}

/** The JSON of an HTTP event as it came and went (GraphEvent.json). */
export interface EventJson {
  /** The request body's bytes as they arrived. */
  request: Buffer;
  /** The value the graph answered, once answered as JSON... */
  answer?: unknown;
  /** ...and that JSON text, as sent. */
  answerText?: string;
}

/** Returned by a step to stop the event: no step after it runs. */
export const DROP: unique symbol = Symbol.for("sluice.drop");
export type Drop = typeof DROP;

export interface StepContext {
  logger: Logger;
  /** The graph's name. */
  graph: string;
  /** The step's name (for routes: `router/route`). */
  step: string;
  /** Set when the step runs as an error handler. */
  error?: StepErrorInfo;
  /** Return this to drop the event (what `builtin:filter` does). */
  drop: Drop;
}

export type HandlerFn = (input: unknown, ctx: StepContext) => unknown;

export interface StepInstance {
  init?(): unknown;
  do(input: unknown, ctx: StepContext): unknown;
  close?(): unknown;
}

export type StepClass = new (args: Record<string, unknown>, ctx: StepContext) => StepInstance;
