/** Told once, when a call's time is up. */
type Listener = () => void;

/**
 * The abort signal of one remote call: it fires once, when the call's deadline passes, and
 * everything under way listens to it (the request, the wait for a bulkhead slot, the wait
 * before a retry). A plain object with one timer rather than an AbortController: an
 * EventTarget per call (tracked for GC) costs more than the rest of the call's bookkeeping.
 */
export class CallDeadline {
  aborted = false;
  reason: unknown = undefined;
  #listeners: Listener[] = [];
  readonly #timer: NodeJS.Timeout;

  /** Fires at epoch-ms `at`; `why` makes the error then (an Error's stack trace is not free). */
  constructor(
    readonly at: number,
    why: () => unknown,
  ) {
    this.#timer = setTimeout(() => this.abort(why()), Math.max(0, at - Date.now()));
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    clearTimeout(this.#timer);
    const listeners = this.#listeners;
    this.#listeners = [];
    for (const listener of listeners) listener();
  }

  /** The call finished in time: the timer goes, nothing fires. */
  clear(): void {
    clearTimeout(this.#timer);
    this.#listeners = [];
  }

  once(_event: "abort", listener: Listener): void {
    this.#listeners.push(listener);
  }

  removeListener(_event: "abort", listener: Listener): void {
    const at = this.#listeners.indexOf(listener);
    if (at >= 0) this.#listeners.splice(at, 1);
  }
}
