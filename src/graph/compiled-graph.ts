import type { InProcessQueue, ModelRunner, StepRuntime } from "./build/index.js";
import type { GraphEvent, Logger } from "./contract.js";
import type { GraphDocument } from "./document.js";
import { type EventInit, makeEvent } from "./event.js";
import type { Executor } from "./executor.js";
import { RemoteTargets, remoteTargetsKey } from "./resilience/index.js";
import type { Topology } from "./topology.js";

/** Lifecycle of a compiled graph, as a named state. */
export type GraphState = "created" | "starting" | "running" | "closing" | "closed";

/**
 * A graph ready to run events: `start()` once (class `init`s; model loads begin), then
 * `run(event)` any number of times, `drain()` to let queued work finish, `close()` at the end.
 */
export class CompiledGraph {
  #state: GraphState = "created";
  #loads: Promise<void> | undefined;
  readonly models: ReadonlyMap<string, ModelRunner>;
  /** True when a model of this graph batches requests: callers then give events a `signal`. */
  readonly batches: boolean;
  /** True when a model of this graph records its calls: callers then give events their `bytes`. */
  readonly monitors: boolean;

  constructor(
    readonly document: GraphDocument,
    readonly file: string,
    readonly topology: Topology,
    readonly executor: Executor,
    readonly runtimes: ReadonlyMap<string, { init(): Promise<void>; close(): Promise<void> }>,
    readonly queues: readonly InProcessQueue[],
    models: ModelRunner[],
    readonly logger: Logger,
    readonly streams: {
      /** For each queue step, the nodes its segment starts at. */
      segments: ReadonlyMap<string, readonly number[]>;
      /** Queue steps that write to a broker (step → stream URL); their segments run in a consumer. */
      brokerQueues: ReadonlyMap<string, string>;
    } = { segments: new Map(), brokerQueues: new Map() },
    /**
     * A request's JSON body may enter as its bytes (a JsonBytes): the graph's first step is a
     * remote step that sends it as a whole, and no step reads it first (src/graph/pass-through.ts).
     */
    readonly takesBytes = false,
  ) {
    this.models = new Map(models.map((m) => [m.key, m]));
    this.batches = models.some((m) => m.batches);
    this.monitors = models.some((m) => m.monitor !== undefined);
  }

  get name(): string {
    return this.document.metadata.name;
  }

  get state(): GraphState {
    return this.#state;
  }

  /** Runs every step's `init()` (failures fail the start), then begins loading the models. */
  async start(): Promise<void> {
    if (this.#state !== "created") return;
    this.#state = "starting";
    for (const [name, runtime] of this.runtimes) {
      this.#initializing = name;
      await runtime.init();
    }
    this.#initializing = undefined;
    this.#loads = Promise.all([...this.models.values()].map((m) => m.load())).then(() => {});
    this.#state = "running";
  }

  #initializing: string | undefined;

  /** What starting this graph is waiting on right now, for a start deadline's message. */
  get waitingOn(): string {
    if (this.#initializing !== undefined) return `step "${this.#initializing}" init()`;
    const loading = [...this.models.values()].filter((m) => m.state === "LOADING").map((m) => `"${m.key}"`);
    if (loading.length > 0)
      return `the load() of model${loading.length > 1 ? "s" : ""} ${loading.join(", ")}`;
    return "nothing";
  }

  /**
   * True once every model has loaded. A model unloaded through the model repository does not
   * count: it is out of service on purpose, and the graph's other models still serve.
   */
  get ready(): boolean {
    return this.#state === "running" && [...this.models.values()].every((m) => m.ready || m.unloaded);
  }

  /** Resolves when every model has finished loading (successfully or not). */
  async whenReady(): Promise<void> {
    await this.start();
    await this.#loads;
  }

  /** Runs one event; resolves to the response body (undefined when the event was dropped). */
  run(event: GraphEvent): Promise<unknown> {
    return this.executor.run(event);
  }

  /**
   * `run` for hot paths: the response itself when every step ran synchronously (a failure
   * is thrown), else a promise of it. Saves a promise and a microtask per event.
   */
  execute(event: GraphEvent): unknown {
    return this.executor.execute(event);
  }

  /**
   * Runs the steps behind a queue step for an event read back from its stream (what the
   * queue's consumer does). Resolves with the segment's last output.
   */
  runAfterQueue(queueStep: string, event: GraphEvent): Promise<unknown> {
    const entries = this.streams.segments.get(queueStep);
    if (!entries)
      return Promise.reject(new Error(`"${queueStep}" is not a queue step of graph "${this.name}"`));
    return this.executor.runSegment(entries, event.body, event);
  }

  /** `run` for callers that only know part of the event. */
  invoke(init: EventInit): Promise<unknown> {
    return this.executor.run(makeEvent(init));
  }

  /** Waits until the in-process queues have run everything handed to them. */
  async drain(): Promise<void> {
    while (this.queues.some((q) => q.pending > 0)) await Promise.all(this.queues.map((q) => q.drain()));
  }

  /** Drains, then closes every step (`close()` of classes and models). */
  async close(): Promise<void> {
    if (this.#state === "closing" || this.#state === "closed") return;
    this.#state = "closing";
    await this.drain();
    for (const runtime of this.runtimes.values()) {
      await runtime.close().catch((error: unknown) => this.logger.warn({ err: error }, "step close failed"));
    }
    this.#state = "closed";
  }

  /**
   * The compiled graph as JSON: steps in order, their links, the responder and segments, and
   * each remote target with its circuit breaker's state (also per step that calls one).
   */
  describe(): Record<string, unknown> {
    const t = this.topology;
    const remotes = this.runtimes.get(remoteTargetsKey);
    const targets = remotes instanceof RemoteTargets ? remotes : undefined;
    return {
      name: this.name,
      file: this.file,
      state: this.#state,
      ready: this.ready,
      responder: t.responder ?? null,
      on_error: t.graphOnError ?? null,
      steps: t.order.map((s) => ({
        name: s.name,
        kind: s.kind,
        after: s.after,
        segment: t.segmentOf.get(s.name) ?? 0,
        ...breakerOf(targets, s.name),
      })),
      handlers: [...t.handlers.keys()],
      models: [...this.models.values()].map((m) => ({ key: m.key, ready: m.ready })),
      targets: targets?.describe() ?? [],
    };
  }
}

/** `{breaker: state}` for a step that calls a remote target with a breaker, else nothing. */
function breakerOf(targets: RemoteTargets | undefined, step: string): { breaker?: string } {
  const state = targets?.breakerOf(step);
  return state === undefined ? {} : { breaker: state };
}

export type { StepRuntime };
