/**
 * The graph document as users write it (DESIGN.md section 2). These types mirror
 * schema/graph.schema.json, which is the source of truth for validation.
 */

export type StepKind = "task" | "router" | "model" | "remote" | "queue" | "error";
export type RouterType = "model" | "switch" | "split" | "ensemble" | "parallel";
export type Placement = "local" | "nuclio";

/** Fields every step may carry. */
export interface StepBase {
  kind?: StepKind;
  /** Upstream step names; several make this step a join. */
  after?: string[];
  /** A dotted path into the body that the step reads. */
  input_path?: string;
  /** A dotted path into the body where the step's result is written; without it the result replaces the body. */
  result_path?: string;
  /** Hand the step the whole event instead of its body. */
  full_event?: boolean;
  /** The error handler for this step (a step of kind `error`). */
  on_error?: string;
  /** A duration (`250ms`, `2s`) or milliseconds; the step fails with code TIMEOUT past it. */
  timeout?: string | number;
  /** Groups steps into one deployed function. */
  function?: string;
  placement?: Placement;
  /** MLRun style: mark this step as the responder (same as `spec.responder: <name>`). */
  responder?: boolean;
  comment?: string;
}

/** `handler: module#export` or `class: module#Export` (+ `args`); `builtin:<name>` for shipped steps. */
export interface CodeRef {
  handler?: string;
  class?: string;
  args?: Record<string, unknown>;
}

/**
 * What a flow step (not a route) may add around its run: a bulkhead and a fallback
 * (src/graph/resilience).
 */
export interface StepGuards {
  /** The most events the step runs at once; more wait in a queue of `maxQueue`. */
  maxConcurrency?: number;
  /** Events that may wait for a turn (default: `maxConcurrency`); beyond, 503 OVERLOADED. */
  maxQueue?: number;
  /** Answers in the step's place when it fails with a 5xx: a step of kind error, or a value. */
  fallback?: string | { value: unknown };
}

/** A remote target's circuit breaker (opossum); durations as in `timeout`. */
export interface BreakerSpec {
  errorThresholdPercentage?: number;
  volumeThreshold?: number;
  resetTimeout?: string | number;
  rollingCountTimeout?: string | number;
  rollingCountBuckets?: number;
}

/** How calls to a remote target are made resilient: retries, backoff, breaker, limits. */
export interface RemoteCall {
  /** Retries of idempotent failures (connect errors, 502, 503, 504). */
  retries?: number;
  backoff?: { initial?: string | number; max?: string | number };
  /** `false`: no breaker for this target. */
  breaker?: BreakerSpec | boolean;
  /** Limits of the target (its origin), shared by every step of the graph that calls it. */
  target?: { maxConcurrency?: number; maxQueue?: number; connections?: number };
}

export interface TaskStep extends StepBase, CodeRef, StepGuards {
  kind?: "task";
  /** With `placement: nuclio`: where the step's function answers, and how it is called. */
  nuclio?: NuclioCall;
}

export interface NuclioCall extends RemoteCall {
  /** Default: `http://nuclio-<graph>-<function>:8080/`. */
  url?: string;
}

export interface ModelStep extends ModelRoute, StepGuards {}

/** A model as a step or as a router's route. */
export interface ModelRoute extends StepBase, CodeRef {
  kind: "model";
  /** Used by `split` routers. */
  weight?: number;
  /** Used by `switch` routers: a CEL expression over `body`, `headers`, `path`. */
  when?: string;
  /** Requests that arrive together are predicted in one call (docs/batching.md). */
  batching?: Batching;
  /** This model's monitoring stream, in place of the graph's; `false`: none. */
  monitoring?: MonitoringSpec | false;
}

/** A model's adaptive batching: a batch goes to predict when either limit is reached. */
export interface Batching {
  /** The most rows (dimension 0, summed over the batched requests) one predict call gets. */
  max_batch_size: number;
  /** How long the first request of a batch waits for others: `2ms`, or milliseconds. */
  max_batch_time: string | number;
}

/** What a model monitoring record may hold besides its ids, times, latency and error. */
export type MonitoringField = "inputs" | "outputs" | "shapes" | "parameters";

/** A model's monitoring stream (docs/monitoring.md). */
export interface MonitoringSpec {
  /** `kafka://topic` or `nats://subject`. */
  stream: string;
  /** The share of requests recorded, 0..1 (default 1). */
  sample?: number;
  /** Default `[inputs, outputs]`. */
  fields?: MonitoringField[];
  /** Records held while the broker is slow (default 10000); more are dropped and counted. */
  buffer?: number;
  /** Records a message holds, newline-delimited (default 1). */
  recordsPerMessage?: number;
  /** The Kafka client a kafka:// stream is written with (default kafkajs). */
  client?: "kafkajs" | "platformatic";
}

export interface RemoteStep extends RemoteRoute, StepGuards {}

/** An HTTP call, as a step or as a router's route. */
export interface RemoteRoute extends StepBase, RemoteCall {
  kind: "remote";
  /** May hold `{path}` and `{model}` after the host. */
  url: string;
  method?: string;
  headers?: Record<string, string>;
  /** auto: bytes as they are, anything else as JSON; json: always JSON; raw: bytes and strings as they are. */
  body?: "auto" | "json" | "raw";
  weight?: number;
  when?: string;
}

export interface QueueStep extends StepBase {
  kind: "queue";
  /** `kafka://topic`, `nats://subject`; with no broker configured, an in-process queue. */
  stream?: string;
  /** Partitions of the queue's Kafka topic when sluice creates it (default 4). */
  partitions?: number;
  /** Where messages the steps behind the queue cannot process go (a trigger's `dlq` semantics). */
  dlq?: { topic?: string; subject?: string; maxAttempts?: number };
  /**
   * `false`: this process only writes to the stream and starts no consumer for it; the steps
   * behind the queue run where the stream is consumed (`sluice deploy` sets it in the
   * gateway's copy, whose queue segments run in Nuclio functions). Default `true`.
   */
  consume?: boolean;
}

export interface ErrorStep extends StepBase, CodeRef {
  kind: "error";
  /** Steps that continue with the handler's output; without it the output becomes the response. */
  before?: string[];
}

/** A route of a router: a task, model or remote step, with routing hints. */
export type RouteStep =
  | (StepBase & CodeRef & { kind?: "task"; weight?: number; when?: string })
  | ModelRoute
  | RemoteRoute;

export interface RouterStep extends StepBase, StepGuards {
  kind: "router";
  type?: RouterType;
  routes: Record<string, RouteStep>;
  /** `switch`: the route taken when no `when` matches. */
  default?: string;
  /** `ensemble`: how the routes' outputs are combined. */
  vote?: "classification" | "regression";
  /** `ensemble`: weight per route (default 1). */
  weights?: Record<string, number>;
}

export type StepSpec = TaskStep | ModelStep | RemoteStep | QueueStep | ErrorStep | RouterStep;

export interface HttpTrigger {
  kind: "http";
}
export interface KafkaTrigger {
  kind: "kafka";
  brokers: string[];
  topics: string[];
  group: string;
  output?: { topic: string };
  dlq?: { topic: string; maxAttempts?: number };
  /** The Kafka client underneath: kafkajs (the default) or @platformatic/kafka. */
  client?: "kafkajs" | "platformatic";
  [option: string]: unknown;
}
export interface NatsTrigger {
  kind: "nats";
  url: string;
  subject: string;
  queue?: string;
  jetstream?: { stream: string; durable: string; maxDeliver?: number; [option: string]: unknown };
  output?: { subject: string };
  [option: string]: unknown;
}
export interface CronTrigger {
  kind: "cron";
  schedule?: string;
  interval?: string;
  event?: { body?: unknown; headers?: Record<string, string> };
}
export type TriggerSpec = HttpTrigger | KafkaTrigger | NatsTrigger | CronTrigger;

export interface GraphSpec {
  /** `flow`: a DAG of steps; `router`: the graph is one router over `routes`. */
  topology?: "flow" | "router";
  steps?: Record<string, StepSpec>;
  /** For `topology: router`: the router's settings and routes. */
  router?: Omit<RouterStep, "kind" | "after">;
  responder?: string;
  on_error?: string;
  triggers?: TriggerSpec[];
  /** Model monitoring for every model of the graph (a model's own replaces it). */
  monitoring?: MonitoringSpec;
}

export interface GraphDocument {
  apiVersion: "sluice/v1";
  kind: "Graph";
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: GraphSpec;
}
