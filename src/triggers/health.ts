/**
 * What a trigger's consumption looks like from outside: readiness, the admin plane and the
 * `sluice_trigger_up` gauge all read this, never the trigger's internals.
 *
 * - `starting`: not consuming yet (connecting, joining its group, importing its client).
 * - `running`: consuming, or idle with nothing to consume.
 * - `stalled`: alive, but a partition (or the consumer) has made no progress for longer than
 *   the trigger's `stalledAfter`: an event that keeps failing with no DLQ, a dead letter the
 *   DLQ will not take, missed heartbeats.
 * - `crashed`: the consumer is down (restarting with backoff, or unable to restart).
 * - `stopped`: drained or closed on purpose.
 */
export type TriggerCondition = "starting" | "running" | "stalled" | "crashed" | "stopped";

/** A trigger's condition, why (when it is not running), and since when (ISO 8601). */
export interface TriggerHealth {
  condition: TriggerCondition;
  reason?: string;
  since: string;
}

/** The default for `stalledAfter`: a minute without progress is no longer a retry, it is a stall. */
export const defaultStalledAfterMs = 60_000;

/**
 * A trigger's condition as it changes, plus the waits that may turn into a stall: each
 * blocked partition (or subject) with the moment it started waiting. Only the failure path
 * touches it; the hot path never does.
 */
export class HealthState {
  #condition: TriggerCondition = "starting";
  #reason: string | undefined;
  #since = Date.now();
  readonly #blocked = new Map<string, { since: number; why: string }>();

  constructor(readonly stalledAfterMs: number = defaultStalledAfterMs) {}

  get condition(): TriggerCondition {
    return this.#condition;
  }

  /** Moves to a condition; the time only changes when the condition (or reason) does. */
  set(condition: TriggerCondition, reason?: string): void {
    if (condition === this.#condition && reason === this.#reason) return;
    this.#condition = condition;
    this.#reason = reason;
    this.#since = Date.now();
  }

  /** `where` (a partition, a subject) is waiting on one event; the first call of a wait counts. */
  block(where: string, why: string): void {
    const known = this.#blocked.get(where);
    if (known) known.why = why;
    else this.#blocked.set(where, { since: Date.now(), why });
  }

  /** `where` moved on. */
  unblock(where: string): void {
    this.#blocked.delete(where);
  }

  /** The health as reported: a running trigger with a wait older than the threshold is stalled. */
  get value(): TriggerHealth {
    if (this.#condition === "running") {
      const now = Date.now();
      for (const [where, { since, why }] of this.#blocked) {
        if (now - since >= this.stalledAfterMs) {
          const reason = `${where} has made no progress for ${Math.round((now - since) / 1000)} s: ${why}`;
          return { condition: "stalled", reason, since: new Date(since).toISOString() };
        }
      }
    }
    const health: TriggerHealth = { condition: this.#condition, since: new Date(this.#since).toISOString() };
    if (this.#reason !== undefined) health.reason = this.#reason;
    return health;
  }
}

/** Whether a trigger in this health counts as up (readiness, `sluice_trigger_up`). */
export function isUp(health: TriggerHealth): boolean {
  return health.condition === "running";
}
