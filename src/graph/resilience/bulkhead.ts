import { SluiceError } from "../../errors.js";
import type { CallDeadline } from "./deadline.js";

/** How many calls run at once, and how many may wait for a turn. */
export interface BulkheadLimits {
  maxConcurrency: number;
  maxQueue: number;
  /** The longest a call may wait for a turn (e.g. the step's timeout); none: until its deadline. */
  maxWaitMs?: number | undefined;
}

/** One call waiting for a turn. */
interface Waiter {
  start: () => void;
  fail: (error: unknown) => void;
}

/** When a waiting call gives up: its call's deadline signal, and/or an epoch-ms deadline. */
export interface WaitLimits {
  signal?: CallDeadline | undefined;
  /** Epoch ms; a call still waiting then is refused with code TIMEOUT. */
  deadline?: number | undefined;
}

/**
 * A bulkhead: at most `maxConcurrency` calls run at once, at most `maxQueue` more wait in
 * FIFO order, and anything beyond is refused at once with 503 (code OVERLOADED). So a slow
 * dependency holds a bounded number of events, never an unbounded pile of them in memory.
 * A waiting call leaves the queue when its signal aborts or its deadline passes.
 */
export class Bulkhead {
  #active = 0;
  readonly #queue: Waiter[] = [];

  constructor(
    /** What the bulkhead guards, for messages: `step "score"` or a target's origin. */
    readonly name: string,
    readonly limits: BulkheadLimits,
  ) {}

  /** Calls running now. */
  get active(): number {
    return this.#active;
  }

  /** Calls waiting for a turn now. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Runs `task` when a slot is free; refuses at once when the queue is full too. */
  run<T>(task: () => Promise<T>, wait: WaitLimits = {}): Promise<T> {
    if (this.#active < this.limits.maxConcurrency) return this.#start(task);
    if (this.#queue.length >= this.limits.maxQueue) return Promise.reject(this.#overloaded());
    if (wait.signal?.aborted) return Promise.reject(wait.signal.reason);
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const leave = () => {
        const at = this.#queue.indexOf(waiter);
        if (at >= 0) this.#queue.splice(at, 1);
        if (timer) clearTimeout(timer);
        wait.signal?.removeListener("abort", onAbort);
      };
      const onAbort = () => {
        leave();
        reject(wait.signal?.reason);
      };
      const waiter: Waiter = {
        start: () => {
          leave();
          this.#start(task).then(resolve, reject);
        },
        fail: (error) => {
          leave();
          reject(error);
        },
      };
      this.#queue.push(waiter);
      wait.signal?.once("abort", onAbort);
      const until = Math.min(
        wait.deadline ?? Number.POSITIVE_INFINITY,
        Date.now() + (this.limits.maxWaitMs ?? Number.POSITIVE_INFINITY),
      );
      if (until !== Number.POSITIVE_INFINITY) {
        timer = setTimeout(
          () =>
            waiter.fail(
              new SluiceError(
                "SLUICE_ERR_STEP_TIMEOUT",
                `${this.name} was busy (${this.limits.maxConcurrency} running): no turn in time`,
              ),
            ),
          Math.max(0, until - Date.now()),
        );
      }
    });
  }

  #start<T>(task: () => Promise<T>): Promise<T> {
    this.#active++;
    let running: Promise<T>;
    try {
      running = task();
    } catch (error) {
      running = Promise.reject(error);
    }
    return running.finally(() => this.#release());
  }

  #release(): void {
    this.#active--;
    // The slot goes to the oldest waiter; `start` takes it out of the queue.
    this.#queue[0]?.start();
  }

  #overloaded(): SluiceError {
    const { maxConcurrency, maxQueue } = this.limits;
    return new SluiceError(
      "SLUICE_ERR_OVERLOADED",
      `${this.name} is overloaded: ${maxConcurrency} running and ${maxQueue} waiting`,
    );
  }
}
