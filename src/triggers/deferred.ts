import type { EventHandler, Trigger, TriggerState } from "./contract.js";
import type { TriggerHealth } from "./health.js";

/**
 * A trigger whose implementation, and the broker client under it, is imported when it starts,
 * so that `sluice serve` loads kafkajs or nats.js only for graphs that have such a trigger
 * (`graphTriggers` is synchronous: the import waits for `start`, which the engine awaits next).
 * Until then `name` is the one the real trigger will have as far as the spec tells.
 */
export class DeferredTrigger implements Trigger {
  #inner: Trigger | undefined;
  #closed = false;
  readonly #created = new Date().toISOString();

  constructor(
    readonly kind: string,
    readonly provisionalName: string,
    readonly make: () => Promise<Trigger>,
  ) {}

  get name(): string {
    return this.#inner?.name ?? this.provisionalName;
  }

  get state(): TriggerState {
    return this.#inner?.state ?? (this.#closed ? "closed" : "created");
  }

  get health(): TriggerHealth {
    if (this.#inner) return this.#inner.health;
    return { condition: this.#closed ? "stopped" : "starting", since: this.#created };
  }

  async start(handler: EventHandler): Promise<void> {
    const inner = await this.make();
    // Closed while the import was under way: the real trigger never connects.
    if (this.#closed) return;
    this.#inner = inner;
    await inner.start(handler);
  }

  drain(): Promise<void> {
    return this.#inner?.drain() ?? Promise.resolve();
  }

  close(): Promise<void> {
    this.#closed = true;
    return this.#inner?.close() ?? Promise.resolve();
  }
}
