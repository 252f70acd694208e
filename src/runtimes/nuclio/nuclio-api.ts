/**
 * What Nuclio's Node.js runtime hands a handler module (its wrapper.js): the context with
 * `callback`, `Response` and `logger`, and each event with its body as a Buffer.
 */

/** `context.logger`: each call is one log record the processor writes. */
export interface NuclioLogger {
  error(message: string, data?: unknown): void;
  warn(message: string, data?: unknown): void;
  info(message: string, data?: unknown): void;
  debug(message: string, data?: unknown): void;
  errorWith?(message: string, data?: unknown): void;
  warnWith?(message: string, data?: unknown): void;
  infoWith?(message: string, data?: unknown): void;
  debugWith?(message: string, data?: unknown): void;
}

/** A Response as the wrapper builds it: a non-string body is JSON-encoded by its constructor. */
export interface NuclioResponse {
  body: string;
  headers: Record<string, string> | null;
  content_type: string;
  status_code: number;
  body_encoding: "text" | "base64";
}

export type NuclioResponseConstructor = new (
  body: string,
  headers: Record<string, string>,
  contentType: string,
  statusCode: number,
  bodyEncoding?: "text" | "base64",
) => NuclioResponse;

export interface NuclioContext {
  /** Answers the event; the wrapper waits for exactly one call per event. */
  callback(response: unknown): unknown;
  Response: NuclioResponseConstructor;
  logger: NuclioLogger;
  userData?: Record<string, unknown>;
}

/** An event as the wrapper passes it on (the processor's JSON, body decoded to a Buffer). */
export interface NuclioEvent {
  body: Buffer;
  content_type?: string;
  headers?: Record<string, unknown>;
  fields?: Record<string, unknown>;
  id?: string;
  method?: string;
  path?: string;
  url?: string;
  size?: number;
  timestamp?: Date | number;
  trigger?: { kind?: string; name?: string };
  /** Stream triggers (kafka-cluster, nats): where the message came from. */
  topic?: string;
  offset?: number;
  shard_id?: number;
  num_shards?: number;
}
