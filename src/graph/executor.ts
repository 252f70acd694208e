import { DROP, type GraphEvent, type StepErrorInfo } from "./contract.js";
import { toStepError } from "./step-error.js";

/** A compiled step body: sync steps return a value, async ones a promise. */
export type Runner = (input: unknown, event: GraphEvent) => unknown;
export type ErrorRunner = (input: unknown, event: GraphEvent, error: StepErrorInfo) => unknown;

/** Where a queue step hands its output; the steps behind it run from there. */
export type QueueSink = (output: unknown, event: GraphEvent) => void;

export interface ExecNode {
  readonly name: string;
  readonly run: Runner;
  /** Downstream nodes in the same segment. */
  readonly next: readonly number[];
  readonly upstream: readonly number[];
  /** Upstream names when this node is a join (it then gets `{upstream: output}`). */
  readonly joinNames: readonly string[] | undefined;
  /** Index into the handlers, or -1: no handler (the caller gets the error). */
  readonly onError: number;
  readonly queue: QueueSink | undefined;
}

export interface ExecHandler {
  readonly name: string;
  readonly run: ErrorRunner;
  /** Nodes that continue with the handler's output; empty: the output is the response. */
  readonly before: readonly number[];
}

const NO_RESPONSE: unique symbol = Symbol("no response");

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/**
 * Walks events through the DAG. Everything about the graph's shape is decided at compile
 * time (indexes, upstream counts); per event there is one Walk with two small arrays, and
 * synchronous steps run back to back without a promise.
 */
export class Executor {
  /** Upstream counts per node, copied per event; undefined when the graph has no join. */
  readonly #pending: readonly number[] | undefined;

  constructor(
    readonly nodes: readonly ExecNode[],
    readonly handlers: readonly ExecHandler[],
    /** Where the caller's event enters. */
    readonly roots: readonly number[],
    /** The node whose output answers, or -1. */
    readonly responder: number,
  ) {
    // Without joins every node runs as soon as its one upstream finished: an event then
    // needs no counts and no table of outputs, only the value in hand.
    const joins = nodes.some((n) => n.joinNames !== undefined);
    this.#pending = joins ? nodes.map((n) => n.upstream.length) : undefined;
  }

  /** Runs one event; resolves to the response (undefined when the event was dropped). */
  run(event: GraphEvent): Promise<unknown> {
    return settled(() => this.execute(event));
  }

  /**
   * `run` without a promise when it needs none: the response itself when every step on the
   * way ran synchronously (a failure is then thrown), else a promise of it. The data plane
   * and the stream triggers call this, so an all-sync graph costs no microtask per event.
   */
  execute(event: GraphEvent): unknown {
    return new Walk(this, event, this.#pending?.slice()).start(this.roots, event.body);
  }

  /** Runs the part of the graph behind a queue step, entering at `entries` with `input`. */
  runSegment(entries: readonly number[], input: unknown, event: GraphEvent): Promise<unknown> {
    return settled(() => new Walk(this, event, this.#pending?.slice()).start(entries, input));
  }
}

/** `execute`'s outcome as a promise (a sync failure rejects it): for callers that await. */
function settled(walk: () => unknown): Promise<unknown> {
  try {
    const outcome = walk();
    return outcome instanceof Promise ? outcome : Promise.resolve(outcome);
  } catch (error) {
    return Promise.reject(error);
  }
}

class Walk {
  /** Outputs kept for joins to gather (only in graphs with joins). */
  readonly #outputs: unknown[] | undefined;
  #active = 0;
  #response: unknown = NO_RESPONSE;
  #responseLocked = false;
  #settled = false;
  /** Set once the walk went async: its caller holds a promise of the outcome. */
  #resolve: ((value: unknown) => void) | undefined;
  #reject: ((error: unknown) => void) | undefined;
  #failed = false;
  #error: unknown;

  constructor(
    readonly executor: Executor,
    readonly event: GraphEvent,
    /** Upstreams each node still waits for; undefined: no joins, every node waits for one. */
    readonly pending: number[] | undefined,
  ) {
    this.#outputs = pending ? new Array(executor.nodes.length) : undefined;
  }

  /** The response (or a thrown failure) when the walk ended synchronously, else a promise. */
  start(entries: readonly number[], input: unknown): unknown {
    this.#active++; // held while entering, so a sync first step cannot finish the walk early
    for (const index of entries) this.#exec(index, input);
    this.#release();
    if (this.#settled) {
      if (this.#failed) throw this.#error;
      return this.#outcome();
    }
    return new Promise<unknown>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  #outcome(): unknown {
    return this.#response === NO_RESPONSE ? undefined : this.#response;
  }

  #exec(index: number, input: unknown): void {
    const node = this.executor.nodes[index] as ExecNode;
    this.#active++;
    let result: unknown;
    try {
      result = node.run(input, this.event);
    } catch (error) {
      this.#fail(index, error, input);
      return;
    }
    if (isThenable(result)) {
      result.then(
        (value) => this.#complete(index, value),
        (error) => this.#fail(index, error, input),
      );
    } else {
      this.#complete(index, result);
    }
  }

  #complete(index: number, value: unknown): void {
    if (this.#settled) return;
    const { executor } = this;
    const node = executor.nodes[index] as ExecNode;
    if (index === executor.responder && !this.#responseLocked)
      this.#response = value === DROP ? undefined : value;
    if (value !== DROP) {
      if (node.queue) node.queue(value, this.event);
      const { pending } = this;
      if (pending === undefined) {
        for (const next of node.next) this.#exec(next, value);
      } else {
        (this.#outputs as unknown[])[index] = value;
        for (const next of node.next) {
          if (--(pending[next] as number) === 0) this.#exec(next, this.#inputOf(next));
        }
      }
    }
    this.#release();
  }

  #inputOf(index: number): unknown {
    const node = this.executor.nodes[index] as ExecNode;
    const outputs = this.#outputs as unknown[];
    if (node.joinNames === undefined) return outputs[node.upstream[0] as number];
    const joined: Record<string, unknown> = {};
    node.joinNames.forEach((name, i) => {
      joined[name] = outputs[node.upstream[i] as number];
    });
    return joined;
  }

  #fail(index: number, error: unknown, input: unknown): void {
    if (this.#settled) return;
    const node = this.executor.nodes[index] as ExecNode;
    const failure = toStepError(node.name, error);
    const handler = this.executor.handlers[node.onError];
    if (!handler) {
      this.#settle(failure);
      return;
    }
    let result: unknown;
    try {
      result = handler.run(input, this.event, failure.info);
    } catch (handlerError) {
      this.#settle(toStepError(handler.name, handlerError));
      return;
    }
    // The failed node stays active until its handler finished, so the walk cannot end before.
    if (isThenable(result)) {
      result.then(
        (value) => this.#handled(handler, value),
        (handlerError) => this.#settle(toStepError(handler.name, handlerError)),
      );
    } else {
      this.#handled(handler, result);
    }
  }

  #handled(handler: ExecHandler, value: unknown): void {
    if (this.#settled) return;
    if (handler.before.length === 0) {
      this.#response = value === DROP ? undefined : value;
      this.#responseLocked = true;
    } else if (value !== DROP) {
      for (const next of handler.before) this.#exec(next, value);
    }
    this.#release();
  }

  #release(): void {
    if (--this.#active === 0 && !this.#settled) {
      this.#settled = true;
      this.#resolve?.(this.#outcome());
    }
  }

  #settle(error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    if (this.#reject) {
      this.#reject(error);
    } else {
      this.#failed = true;
      this.#error = error;
    }
  }
}
