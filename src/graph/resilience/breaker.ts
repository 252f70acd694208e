import CircuitBreaker from "opossum";
import { isSluiceError, SluiceError } from "../../errors.js";
import { StepError } from "../step-error.js";

/** A breaker's state, as metrics and `describe()` report it. */
export type BreakerState = "closed" | "half-open" | "open";

/** What the graph document's `breaker` becomes once defaults are applied (ms for times). */
export interface BreakerSettings {
  /** Open when more than this share of calls in the window failed. */
  errorThresholdPercentage: number;
  /** Calls the window must hold before the breaker may open. */
  volumeThreshold: number;
  /** How long it stays open before letting one probe through (half-open). */
  resetTimeoutMs: number;
  /** The rolling window failures are counted over. */
  rollingCountTimeoutMs: number;
  rollingCountBuckets: number;
}

/** Defaults for what a step's `breaker` leaves out (opossum's, but volume 10 and reset 10 s). */
export const defaultBreaker: BreakerSettings = {
  errorThresholdPercentage: 50,
  volumeThreshold: 10,
  resetTimeoutMs: 10_000,
  rollingCountTimeoutMs: 10_000,
  rollingCountBuckets: 10,
};

/** Told every state change (and the state at creation), e.g. to set a gauge. */
export type BreakerListener = (state: BreakerState) => void;

type Call = () => Promise<unknown>;

/**
 * The circuit breaker of one remote target (opossum). Every call to the target goes through
 * `fire`: when too many fail, the breaker opens and calls fail fast with 503 (code
 * CIRCUIT_OPEN) without reaching the target; after `resetTimeout` one probe goes through
 * (half-open) and its outcome closes or reopens the breaker. A caller's mistake (an answer
 * below 500) is not the target's failure and does not count.
 */
export class TargetBreaker {
  readonly #breaker: CircuitBreaker<[Call], unknown>;
  #openedAt = 0;

  constructor(
    /** The target's origin, for messages. */
    readonly target: string,
    readonly settings: BreakerSettings,
    listener?: BreakerListener,
  ) {
    this.#breaker = new CircuitBreaker<[Call], unknown>((call) => call(), {
      // Timeouts are the remote step's own (it aborts the request); opossum's would not.
      timeout: false,
      errorThresholdPercentage: settings.errorThresholdPercentage,
      volumeThreshold: settings.volumeThreshold,
      resetTimeout: settings.resetTimeoutMs,
      rollingCountTimeout: settings.rollingCountTimeoutMs,
      rollingCountBuckets: settings.rollingCountBuckets,
      // Percentiles sort every latency of the window on each read, and nobody reads them.
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      // A step error a sluice function answered is the step's code failing, not the target.
      errorFilter: (error: unknown) =>
        (isSluiceError(error) && error.status < 500) || error instanceof StepError,
      name: target,
    });
    this.#breaker.on("open", () => {
      this.#openedAt = Date.now();
      listener?.("open");
    });
    if (listener) {
      this.#breaker.on("halfOpen", () => listener("half-open"));
      this.#breaker.on("close", () => listener("closed"));
      listener("closed");
    }
  }

  get state(): BreakerState {
    if (this.#breaker.opened) return "open";
    return this.#breaker.halfOpen ? "half-open" : "closed";
  }

  /** True while calls fail fast (open, not yet half-open): callers need not even queue. */
  get refusing(): boolean {
    return this.#breaker.opened;
  }

  /** Runs `call` unless the breaker is open; its outcome counts towards opening it. */
  fire<T>(call: () => Promise<T>): Promise<T> {
    return (this.#breaker.fire(call) as Promise<T>).catch((error: unknown) => {
      throw CircuitBreaker.isOurError(error as Error) ? this.openError() : error;
    });
  }

  /** The error an open breaker answers with: 503, code CIRCUIT_OPEN, saying when it probes. */
  openError(): SluiceError {
    if (this.#breaker.halfOpen) {
      return new SluiceError(
        "SLUICE_ERR_CIRCUIT_OPEN",
        `the circuit to ${this.target} is half-open: a probe is in flight`,
      );
    }
    const left = Math.max(
      1,
      Math.ceil((this.settings.resetTimeoutMs - (Date.now() - this.#openedAt)) / 1000),
    );
    return new SluiceError(
      "SLUICE_ERR_CIRCUIT_OPEN",
      `the circuit to ${this.target} is open (too many failures); next probe in ${left} s`,
      // Callers that honour Retry-After come back when the breaker lets a probe through.
      { retryAfter: left },
    );
  }

  /** State and the rolling window's counts, for `describe()`. */
  describe(): Record<string, unknown> {
    const { fires, successes, failures, rejects } = this.#breaker.stats;
    return { state: this.state, window: { fires, successes, failures, rejects } };
  }

  /** Stops the breaker's timers. */
  close(): void {
    this.#breaker.shutdown();
  }
}
