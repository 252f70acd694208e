import { isSluiceError, SluiceError } from "../errors.js";
import type { CompiledGraph, Logger } from "../graph/index.js";
import {
  type EventHandler,
  graphTriggers,
  isUp,
  queueConsumers,
  type Trigger,
  type TriggerContext,
  type TriggerHealth,
  unwrap,
} from "../triggers/index.js";
import type { GatewayMetrics } from "./metrics/index.js";
import type { GraphRegistry } from "./registry.js";

/** A trigger as the admin plane lists it: its name, kind and health. */
export interface TriggerSummary extends TriggerHealth {
  name: string;
  kind: string;
}

/** A graph's running triggers and the settings they were started from. */
interface GraphStreams {
  settings: string;
  triggers: Trigger[];
}

/**
 * The stream side of a gateway: each graph's triggers (Kafka, NATS, cron) and the consumers
 * behind its broker-backed queue steps. Events always enter the graph's current version, so a
 * hot reload reaches stream events at once; a reload that changes the triggers (or the queue
 * steps' streams) also replaces the triggers themselves (`reload`).
 */
export class StreamHost {
  readonly #byGraph = new Map<string, GraphStreams>();
  #started = false;

  constructor(
    readonly registry: GraphRegistry,
    readonly metrics: GatewayMetrics,
    readonly logger: Logger,
    /** How long a hot reload waits for the new triggers to start before it answers 503. */
    readonly reloadStartMs = 15_000,
  ) {
    metrics.watchTriggers(() =>
      [...this.#byGraph].flatMap(([graph, { triggers }]) =>
        triggers.map((t) => ({ graph, trigger: t.name, up: isUp(t.health) })),
      ),
    );
  }

  /**
   * Whether the stream side is ready: every trigger started and consuming. A trigger that
   * crashed, stalled past its `stalledAfter` or is not in its consumer group makes the
   * process unready (`/v2/health/ready` answers 503) until it consumes again.
   */
  get ready(): boolean {
    if (!this.#started) return false;
    for (const { triggers } of this.#byGraph.values())
      for (const t of triggers) if (!isUp(t.health)) return false;
    return true;
  }

  /** The triggers of one graph with their health, for the admin plane. */
  health(graph: string): TriggerSummary[] {
    return (this.#byGraph.get(graph)?.triggers ?? []).map((t) => ({
      name: t.name,
      kind: t.kind,
      ...t.health,
    }));
  }

  /** Starts every served graph's triggers; one that cannot start stops the others again. */
  async start(): Promise<void> {
    try {
      for (const graph of this.registry.graphs) this.#byGraph.set(graph.name, await this.#startGraph(graph));
      this.#started = true;
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /**
   * Serves a new version of a graph (`swap` puts it in the registry) and, when its stream
   * settings changed, replaces its triggers. The new triggers start before the swap, so a
   * trigger that cannot start (a broker that is down, a bad subject) fails the reload and
   * leaves the old version and its triggers serving. The old triggers are drained after the
   * swap: they finish and commit their in-flight events (Kafka groups and JetStream durables
   * hand the rest to the new ones; a core NATS subject without a queue group may see an event
   * twice in the moment both are subscribed).
   */
  async reload<T>(graph: CompiledGraph, swap: () => Promise<T>): Promise<T> {
    const old = this.#byGraph.get(graph.name);
    if (old?.settings === streamSettings(graph)) return swap();
    const fresh = await this.#startBounded(graph);
    let result: T;
    try {
      result = await swap();
    } catch (error) {
      await this.#stop(fresh.triggers);
      throw error;
    }
    this.#byGraph.set(graph.name, fresh);
    if (old) await this.#stop(old.triggers);
    return result;
  }

  /**
   * Starts a reloaded graph's triggers within `reloadStartMs`: a broker that cannot be reached
   * would otherwise hold the admin request as long as the client's retries last (over a
   * minute for Kafka). Past the bound the reload fails with 503 and the last error the
   * triggers logged; the start goes on in the background and whatever it started is closed.
   */
  async #startBounded(graph: CompiledGraph): Promise<GraphStreams> {
    const errors = lastErrorOf(this.logger);
    const starting = this.#startGraph(graph, errors.logger);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const seconds = Math.round(this.reloadStartMs / 1000);
        const last = errors.last();
        const why = `graph "${graph.name}": its triggers did not start within ${seconds} s${last ? `: ${last}` : ""}`;
        reject(new SluiceError("SLUICE_ERR_GRAPH_LOAD", why, { status: 503 }));
      }, this.reloadStartMs);
    });
    try {
      return await Promise.race([starting, late]);
    } catch (cause) {
      if (isSluiceError(cause) && cause.status === 503) {
        // Still starting: let it finish (or fail) and close what it started.
        starting.then((g) => this.#close(g.triggers)).catch(() => {});
        throw cause;
      }
      const why = `graph "${graph.name}": a trigger did not start: ${cause instanceof Error ? cause.message : cause}`;
      throw new SluiceError("SLUICE_ERR_GRAPH_LOAD", why, { cause });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Starts one graph's triggers; if one fails, those already started are closed again. */
  async #startGraph(graph: CompiledGraph, logger: Logger = this.logger): Promise<GraphStreams> {
    const name = graph.name;
    const context: TriggerContext = {
      graph: name,
      logger,
      onEvent: this.metrics.streamRecorder(name),
      onRecreated: this.metrics.recreatedRecorder(name),
    };
    const current = (): CompiledGraph => this.registry.get(name) ?? graph;
    const started: Trigger[] = [];
    const start = async (trigger: Trigger, handler: EventHandler) => {
      started.push(trigger);
      await trigger.start(handler);
      this.logger.info({ graph: name, trigger: trigger.name }, "trigger started");
    };
    try {
      for (const trigger of graphTriggers(graph, context)) {
        await start(trigger, (event) => this.registry.execute(current(), event));
      }
      for (const { step, trigger } of await queueConsumers(graph, context)) {
        await start(trigger, (event) => {
          const g = current();
          return this.registry.enter(g, () => g.runAfterQueue(step, unwrap(event)));
        });
      }
    } catch (error) {
      await this.#close(started);
      throw error;
    }
    return { settings: streamSettings(graph), triggers: started };
  }

  get triggers(): readonly Trigger[] {
    return [...this.#byGraph.values()].flatMap((g) => g.triggers);
  }

  /** Stops taking events and finishes (and commits) the ones in flight. */
  async drain(): Promise<void> {
    await Promise.all(this.triggers.map((t) => t.drain()));
  }

  async close(): Promise<void> {
    await this.#close(this.triggers);
  }

  /** Drains, then closes: the triggers of a version a reload replaced. */
  async #stop(triggers: Trigger[]): Promise<void> {
    await Promise.all(
      triggers.map((t) =>
        t.drain().catch((error: unknown) => this.logger.warn({ err: error }, "trigger drain failed")),
      ),
    );
    await this.#close(triggers);
  }

  async #close(triggers: readonly Trigger[]): Promise<void> {
    await Promise.all(
      triggers.map((t) =>
        t.close().catch((error: unknown) => this.logger.warn({ err: error }, "trigger close failed")),
      ),
    );
  }
}

/** What a graph's triggers and queue consumers are started from: equal settings, same triggers. */
function streamSettings(graph: CompiledGraph): string {
  // A queue step's own settings (`dlq`, `partitions`) shape its consumer too.
  const steps = graph.document.spec.steps ?? {};
  const queues = [...graph.streams.brokerQueues].map(([step, stream]) => [step, stream, steps[step]]);
  return JSON.stringify([graph.document.spec.triggers ?? [], queues]);
}

/**
 * A logger that passes everything on and remembers the last error it was given, so a start
 * that times out can say why (a broker's "connection refused" is only ever logged, by the client).
 */
function lastErrorOf(logger: Logger): { logger: Logger; last(): string | undefined } {
  let last: string | undefined;
  const error = (obj: unknown, msg?: string): void => {
    const err = (obj as { err?: unknown } | null)?.err;
    last = [msg, err instanceof Error ? err.message : undefined].filter(Boolean).join(": ") || last;
    logger.error(obj, msg);
  };
  return {
    logger: {
      debug: (obj: unknown, msg?: string) => logger.debug(obj, msg),
      info: (obj: unknown, msg?: string) => logger.info(obj, msg),
      warn: (obj: unknown, msg?: string) => logger.warn(obj, msg),
      error,
    },
    last: () => last,
  };
}
