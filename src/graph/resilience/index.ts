/**
 * src/graph/resilience: what keeps one slow or failing dependency from taking the gateway
 * down: circuit breakers, retries with backoff, bulkheads and fallbacks, and the registry of
 * a graph's remote targets that shares them per origin.
 */
export {
  type BreakerListener,
  type BreakerSettings,
  type BreakerState,
  defaultBreaker,
  TargetBreaker,
} from "./breaker.js";
export { Bulkhead, type BulkheadLimits, type WaitLimits } from "./bulkhead.js";
export { CallDeadline } from "./deadline.js";
export { type FallbackRunner, staticFallback, withFallback } from "./fallback.js";
export { type FallbackSteps, guardStep } from "./guard.js";
export { backoffMs, defaultBackoff, type GaveUp, type RetryPolicy, withRetries } from "./retry.js";
export {
  type BreakerObserver,
  loadUndici,
  type RemoteTarget,
  RemoteTargets,
  remoteTargetsKey,
  type TargetClaim,
  type TargetLimits,
} from "./targets.js";
