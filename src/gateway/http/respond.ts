import type { ServerResponse } from "node:http";
import { isSluiceError } from "../../errors.js";

/** Sends a JSON body with the request id echoed; returns the JSON text sent. */
export function sendJson(res: ServerResponse, status: number, body: unknown, requestId?: string): string {
  const payload = JSON.stringify(body);
  const headers: Record<string, string | number> = {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(payload),
  };
  if (requestId !== undefined) headers["x-request-id"] = requestId;
  res.writeHead(status, headers);
  res.end(payload);
  return payload;
}

/** The HTTP status of any error: ours carry one; anything else is our own failure (500). */
export function statusOf(error: unknown): number {
  if (isSluiceError(error)) return error.status;
  return 500;
}

/** Sends `{"error": "..."}` with the error's status; never a stack trace. */
export function sendError(res: ServerResponse, error: unknown, requestId?: string): void {
  // Already answered (a deadline's 408 raced the body's own failure): a second answer cannot
  // be sent, and trying would throw out of an event handler and end the process.
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status = statusOf(error);
  const message = error instanceof Error ? error.message : String(error);
  if ((status === 503 || status === 429) && !(isSluiceError(error) && error.permanent)) {
    // An open breaker knows when it probes again; other overload has no better guess than 1 s.
    const after = isSluiceError(error) ? error.retryAfter : undefined;
    res.setHeader("retry-after", String(after ?? 1));
  }
  sendJson(res, status, { error: message }, requestId);
}
