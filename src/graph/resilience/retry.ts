import type { CallDeadline } from "./deadline.js";

/** How a failed call is tried again. */
export interface RetryPolicy {
  /** Retries after the first attempt (0: none). */
  retries: number;
  /** The backoff cap of the first retry, in ms; it doubles with each retry. */
  initialMs: number;
  /** The largest backoff cap, in ms. */
  maxMs: number;
}

/** Defaults for what a step's `backoff` leaves out. */
export const defaultBackoff = { initialMs: 50, maxMs: 2000 } as const;

/**
 * "Full jitter" (AWS Architecture Blog, Exponential Backoff And Jitter): a random wait in
 * [0, min(max, initial × 2^retry)), so callers that failed together do not come back
 * together and hammer a recovering target in waves.
 */
export function backoffMs(policy: RetryPolicy, retry: number): number {
  const cap = Math.min(policy.maxMs, policy.initialMs * 2 ** retry);
  return Math.random() * cap;
}

/** Why a retry loop stopped early, for the message of the error it passes on. */
export type GaveUp = "deadline" | undefined;

/**
 * Runs `attempt` until it succeeds, fails for a reason `retryable` refuses, runs out of
 * retries, or the next wait would end past `deadline` (epoch ms): a retry that cannot finish
 * in time only adds load. The last error is rethrown, after `annotate` may reword it.
 */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  retryable: (error: unknown) => boolean,
  options: {
    deadline?: number | undefined;
    signal?: CallDeadline | undefined;
    annotate?: (error: unknown, attempts: number, gaveUp: GaveUp) => unknown;
  } = {},
): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await attempt();
    } catch (error) {
      if (retry >= policy.retries || !retryable(error) || options.signal?.aborted) {
        throw options.annotate ? options.annotate(error, retry + 1, undefined) : error;
      }
      // A target that says when to come back (503 Retry-After) is not asked sooner; one that
      // asks for longer than the backoff's cap is not asked again at all.
      const after = (error as { retryAfter?: unknown }).retryAfter;
      const asked = typeof after === "number" ? after * 1000 : 0;
      if (asked > policy.maxMs)
        throw options.annotate ? options.annotate(error, retry + 1, undefined) : error;
      const wait = Math.max(backoffMs(policy, retry), asked);
      if (options.deadline !== undefined && Date.now() + wait >= options.deadline) {
        throw options.annotate ? options.annotate(error, retry + 1, "deadline") : error;
      }
      // A deadline that passes during the wait ends the retries too: its error says how many
      // attempts were made, as when the loop itself sees no time left.
      await sleep(wait, options.signal).catch((reason: unknown) => {
        throw options.annotate ? options.annotate(reason, retry + 1, "deadline") : reason;
      });
    }
  }
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
function sleep(ms: number, signal: CallDeadline | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.once("abort", onAbort);
  });
}
