import type { CompiledGraph, Logger } from "../graph/index.js";
import {
  type EventHandler,
  graphTriggers,
  queueConsumers,
  type Trigger,
  type TriggerContext,
  unwrap,
} from "../triggers/index.js";
import type { GatewayMetrics } from "./metrics/index.js";
import type { GraphRegistry } from "./registry.js";

/**
 * The stream side of a gateway: each graph's triggers (Kafka, NATS, cron) and the consumers
 * behind its broker-backed queue steps. Events always enter the graph's current version, so
 * a hot reload reaches stream events too (the triggers themselves keep their first settings).
 */
export class StreamHost {
  readonly #triggers: Trigger[] = [];

  private constructor(readonly logger: Logger) {}

  static async start(registry: GraphRegistry, metrics: GatewayMetrics, logger: Logger): Promise<StreamHost> {
    const host = new StreamHost(logger);
    try {
      await host.#startAll(registry, metrics);
    } catch (error) {
      // One trigger that cannot start fails the whole start: let go of those already running.
      await host.close();
      throw error;
    }
    return host;
  }

  async #startAll(registry: GraphRegistry, metrics: GatewayMetrics): Promise<void> {
    for (const graph of registry.graphs) {
      const name = graph.name;
      const context: TriggerContext = {
        graph: name,
        logger: this.logger,
        onEvent: metrics.streamRecorder(name),
      };
      const current = (): CompiledGraph => registry.get(name) ?? graph;
      for (const trigger of graphTriggers(graph, context)) {
        await this.#start(trigger, (event) => registry.execute(current(), event));
      }
      for (const { step, trigger } of await queueConsumers(graph, context)) {
        await this.#start(trigger, (event) => {
          const g = current();
          return registry.enter(g, () => g.runAfterQueue(step, unwrap(event)));
        });
      }
    }
  }

  async #start(trigger: Trigger, handler: EventHandler): Promise<void> {
    this.#triggers.push(trigger);
    await trigger.start(handler);
    this.logger.info({ trigger: trigger.name }, "trigger started");
  }

  get triggers(): readonly Trigger[] {
    return this.#triggers;
  }

  /** Stops taking events and finishes (and commits) the ones in flight. */
  async drain(): Promise<void> {
    await Promise.all(this.#triggers.map((t) => t.drain()));
  }

  async close(): Promise<void> {
    await Promise.all(
      this.#triggers.map((t) =>
        t.close().catch((error: unknown) => this.logger.warn({ err: error }, "trigger close failed")),
      ),
    );
  }
}
