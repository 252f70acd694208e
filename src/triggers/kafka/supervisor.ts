import type { Logger } from "../../graph/index.js";
import type { HealthState } from "../health.js";
import { backoffMs } from "../retry.js";

/** How long a restarted consumer must stay joined without crashing again to count as running. */
const settleMs = 5_000;

/**
 * Keeps a Kafka consumer alive and its trigger's health true, whichever the client. kafkajs
 * restarts a consumer after a retriable crash itself, but one that crashed on a non-retriable
 * error (a write the broker refused for good) is left disconnected: the group goes empty and
 * nothing more is consumed while the process looks healthy. Here every crash (told by the
 * trigger: `crashed`) is logged and marks the trigger `crashed`; a crash the client will not
 * restart is restarted (`restart`) with a growing backoff (1 s to 30 s), for as long as the
 * trigger runs. After a crash the trigger counts as running again once it made progress, or
 * stayed in its group (`joined`) for a few seconds without crashing.
 */
export class ConsumerSupervisor {
  /** Crashes since the consumer last made progress: the restart backoff grows with them. */
  #crashes = 0;
  #restart: NodeJS.Timeout | undefined;
  #settle: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    readonly health: HealthState,
    /** Runs the consumer again after a crash its client does not restart. */
    readonly restart: () => Promise<unknown>,
    readonly options: { logger: Logger; trigger: string; running: () => boolean; client: string },
  ) {}

  /** The first `run()` returned: the consumer is in its group. */
  started(): void {
    if (this.#crashes === 0) this.health.set("running");
  }

  /**
   * An offset was resolved: the consumer works, whatever crashed before (unless the trigger
   * stops: the drain's last batches say nothing about the consumer's health). Called once a
   * flush, not once an event.
   */
  progressed(): void {
    if (this.#stopped) return;
    this.#crashes = 0;
    clearTimeout(this.#settle);
    this.health.set("running");
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#restart);
    clearTimeout(this.#settle);
  }

  /** The consumer joined its group (again). */
  joined(): void {
    if (this.#crashes === 0) {
      if (this.options.running()) this.health.set("running");
      return;
    }
    clearTimeout(this.#settle);
    this.#settle = setTimeout(() => {
      if (this.#stopped) return;
      this.#crashes = 0;
      this.health.set("running");
    }, settleMs);
    this.#settle.unref();
  }

  /** The consumer crashed; `clientRestarts` when its client restarts it by itself. */
  crashed(error: Error, clientRestarts: boolean): void {
    if (this.#stopped || !this.options.running()) return;
    this.#crashes++;
    clearTimeout(this.#settle);
    const reason = `consumer crashed: ${error.message}`;
    this.health.set("crashed", reason);
    if (clientRestarts) {
      this.options.logger.error(
        { err: error, trigger: this.options.trigger },
        `${reason}; ${this.options.client} restarts it`,
      );
      return;
    }
    const delay = backoffMs(this.#crashes, 1_000, 30_000);
    this.options.logger.error(
      { err: error, trigger: this.options.trigger, crashes: this.#crashes, restartInMs: delay },
      `${reason}; restarting it`,
    );
    this.#schedule(delay, reason);
  }

  #schedule(delay: number, reason: string): void {
    clearTimeout(this.#restart);
    this.#restart = setTimeout(() => {
      if (this.#stopped || !this.options.running()) return;
      this.restart().then(
        () => this.options.logger.warn({ trigger: this.options.trigger }, "consumer restarted after a crash"),
        (failure: unknown) => {
          // Cannot even rejoin (the broker away, the group refused): the trigger stays crashed and tries again.
          this.#crashes++;
          const why = `${reason}; restart failed: ${(failure as Error).message}`;
          this.health.set("crashed", why);
          this.options.logger.error({ err: failure, trigger: this.options.trigger }, why);
          this.#schedule(backoffMs(this.#crashes, 1_000, 30_000), reason);
        },
      );
    }, delay);
  }
}
