import { randomUUID } from "node:crypto";
import { Cron } from "croner";
import { SluiceError } from "../errors.js";
import { type CronTrigger as CronTriggerSpec, type GraphEvent, parseDuration } from "../graph/index.js";
import type { EventHandler, Trigger, TriggerContext, TriggerState } from "./contract.js";
import { HealthState, type TriggerHealth } from "./health.js";

/**
 * Runs the graph on a schedule (a cron expression, with seconds allowed) or every
 * `interval`, with the spec's fixed event body and headers, like Nuclio's cron trigger.
 * A tick that comes while the previous run is still going is skipped, never stacked.
 */
export class CronTrigger implements Trigger {
  readonly kind = "cron";
  readonly name: string;
  #state: TriggerState = "created";
  #job: Cron | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  readonly #health = new HealthState();

  constructor(
    readonly spec: CronTriggerSpec,
    readonly context: TriggerContext,
  ) {
    this.name = `cron:${spec.schedule ?? spec.interval}`;
  }

  get state(): TriggerState {
    return this.#state;
  }

  get health(): TriggerHealth {
    return this.#health.value;
  }

  async start(handler: EventHandler): Promise<void> {
    const tick = () => {
      // A drain stops the timer (or schedule) first: no tick comes after it.
      if (this.#running) return;
      const event: GraphEvent = {
        id: randomUUID(),
        // A copy per tick: steps may change their input in place, and the next tick must
        // still get the spec's body.
        body: structuredClone(this.spec.event?.body),
        path: "/",
        method: "POST",
        headers: { ...this.spec.event?.headers },
        key: undefined,
        time: Date.now(),
        trigger: { kind: "cron", name: this.name },
      };
      // As a promise whatever the graph is: a sync failure too ends in the `failed` branch.
      this.#running = new Promise((resolve) => resolve(handler(event)))
        .then(
          () => this.context.onEvent?.(this.name, "ok"),
          (error: unknown) => {
            this.context.onEvent?.(this.name, "failed");
            this.context.logger.warn({ err: error, trigger: this.name }, "scheduled event failed");
          },
        )
        .finally(() => {
          this.#running = undefined;
        });
    };
    this.#state = "running";
    if (this.spec.interval !== undefined) {
      const ms = parseDuration(this.spec.interval);
      if (ms === undefined)
        throw new SluiceError(
          "SLUICE_ERR_GRAPH_INVALID",
          `cron interval "${this.spec.interval}" is not a duration`,
        );
      this.#timer = setInterval(tick, ms);
    } else {
      this.#job = new Cron(this.spec.schedule as string, tick);
    }
    this.#health.set("running");
  }

  async drain(): Promise<void> {
    if (this.#state !== "running") return;
    this.#state = "draining";
    this.#health.set("stopped");
    clearInterval(this.#timer);
    this.#job?.stop();
    await this.#running;
  }

  async close(): Promise<void> {
    await this.drain();
    this.#state = "closed";
  }
}
