import type { Logger } from "../graph/index.js";
import type { GatewayMetrics } from "./metrics/index.js";

/** Where an escaped error came from, for the log line: a StepError knows its step. */
function whereOf(error: unknown): { step?: string; graph?: string } {
  if (typeof error !== "object" || error === null) return {};
  const { step, graph } = error as { step?: unknown; graph?: unknown };
  return {
    ...(typeof step === "string" ? { step } : {}),
    ...(typeof graph === "string" ? { graph } : {}),
  };
}

/**
 * Keeps one step's mistake from taking every graph down: an exception thrown from a timer
 * or a promise rejection nobody handled is logged (one JSON line), counted in
 * `sluice_uncaught_errors_total`, and the process keeps serving. With `crashOnError` the
 * line is written and the process exits 3, as Node would have (for supervisors that prefer
 * a restart). Returns a function that removes the guard.
 */
export function installCrashGuard(
  logger: Logger,
  metrics: GatewayMetrics,
  options: { crashOnError: boolean },
): () => void {
  const onError = (origin: string) => (error: unknown) => {
    metrics.uncaught.inc();
    logger.error(
      { err: error, origin, ...whereOf(error), crashOnError: options.crashOnError },
      options.crashOnError
        ? "uncaught error in user code: exiting (--crash-on-error)"
        : "uncaught error in user code: still serving",
    );
    if (options.crashOnError) process.exit(3);
  };
  const uncaught = onError("uncaughtException");
  const unhandled = onError("unhandledRejection");
  process.on("uncaughtException", uncaught);
  process.on("unhandledRejection", unhandled);
  return () => {
    process.off("uncaughtException", uncaught);
    process.off("unhandledRejection", unhandled);
  };
}
