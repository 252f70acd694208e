import type { Logger } from "../contract.js";

/**
 * The in-process queue behind a `kind: queue` step when no broker is configured: events are
 * handed over at once and the steps behind the queue run on a later turn of the event loop,
 * apart from the caller's request. `drain()` waits until everything queued has run.
 */
export class InProcessQueue {
  #pending = 0;
  #idle: (() => void)[] = [];

  constructor(
    readonly name: string,
    readonly logger: Logger,
  ) {}

  get pending(): number {
    return this.#pending;
  }

  push(work: () => Promise<unknown>): void {
    this.#pending++;
    setImmediate(() => {
      work()
        .catch((error: unknown) =>
          this.logger.error({ err: error, queue: this.name }, "event behind queue failed"),
        )
        .finally(() => {
          if (--this.#pending === 0) for (const resolve of this.#idle.splice(0)) resolve();
        });
    });
  }

  drain(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }
}
