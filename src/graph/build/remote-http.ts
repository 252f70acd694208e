import type { Dispatcher, Pool } from "undici";
import { SluiceError } from "../../errors.js";
import { DROP } from "../contract.js";
import { JsonBytes } from "../json-bytes.js";
import type { CallDeadline } from "../resilience/index.js";
import { stepAnswerHeaders, stepErrorOfAnswer } from "../step-answer.js";

/** How a remote call failed, which decides whether it may be retried. */
export type RemoteFailure =
  /** No connection was made: the request never left, any method may be retried. */
  | "connect"
  /** The connection broke before an answer: the target may have acted on it. */
  | "reset"
  /** The target answered with an error status. */
  | "answer";

/** A remote call's failure, naming the target and what went wrong. */
export class RemoteCallError extends SluiceError {
  /**
   * What the gateway's log gets: the full URL (query included) and the start of the target's
   * answer. The message, which callers see, has neither (secrets live in queries and errors).
   */
  readonly detail: string;

  constructor(
    message: string,
    readonly failure: RemoteFailure,
    /** The status the target answered with (for `answer`). */
    readonly upstreamStatus: number | undefined,
    cause?: unknown,
    options: { detail?: string; retryAfter?: number } = {},
  ) {
    // A caller's mistake stays theirs (4xx); anything else from the target is a bad gateway
    // (a 3xx too: a remote step does not follow redirects).
    const status =
      upstreamStatus !== undefined && upstreamStatus >= 400 && upstreamStatus < 500 ? upstreamStatus : 502;
    super("SLUICE_ERR_REMOTE_FAILED", message, {
      status,
      cause,
      ...(options.retryAfter === undefined ? {} : { retryAfter: options.retryAfter }),
    });
    this.name = "RemoteCallError";
    this.detail = options.detail ?? message;
  }
}

/** `Retry-After` in seconds (the delay form; an HTTP date is read too), or undefined. */
function retryAfterOf(header: string | string[] | undefined): number | undefined {
  if (typeof header !== "string") return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

const connectCodes = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
]);
const resetCodes = new Set(["UND_ERR_SOCKET", "ECONNRESET", "EPIPE", "UND_ERR_CLOSED"]);
const idempotent = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]);
const retryableStatus = new Set([502, 503, 504]);

/**
 * May this failure be tried again? Only when repeating cannot do harm: no connection was
 * made, the target said it is unavailable (502, 503, 504), or a connection broke under a
 * method that is idempotent anyway.
 */
export function isRetryable(error: unknown, method: string): boolean {
  if (!(error instanceof RemoteCallError)) return false;
  if (error.failure === "connect") return true;
  if (error.failure === "reset") return idempotent.has(method);
  return retryableStatus.has(error.upstreamStatus ?? 0);
}

/** One request, as the remote step built it for an event. */
export interface OutgoingRequest {
  path: string;
  method: Dispatcher.HttpMethod;
  headers: Record<string, string>;
  body: string | Buffer | Uint8Array | null;
}

/** The largest answer a remote step reads; a bigger one fails rather than fill memory. */
const maxAnswerBytes = 64 * 1024 * 1024;

/**
 * Sends one request over `pool` and decodes the answer: JSON when the content-type says so
 * (left in its bytes, a JsonBytes, with `keepJson`), text for `text/*`, else bytes (a
 * Buffer); an empty answer is undefined. An error status or a broken connection becomes a
 * RemoteCallError; an abort rejects with the signal's reason.
 */
export function sendOnce(
  pool: Pool,
  origin: string,
  request: OutgoingRequest,
  signal: CallDeadline | undefined,
  keepJson = false,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    pool.dispatch(request, new AnswerReader(origin, request, signal, keepJson, resolve, reject));
  });
}

type Controller = Dispatcher.DispatchController;

/**
 * undici's handler for one call. `dispatch` with a handler of our own skips the Readable
 * stream that `request()` makes for every answer body, a good part of a small call's cost.
 */
class AnswerReader implements Dispatcher.DispatchHandler {
  #controller: Controller | undefined;
  #status = 0;
  #type = "";
  /** Set when a sluice step function answered (src/graph/step-answer.ts). */
  #stepError: string | undefined;
  #dropped = false;
  #retryAfter: number | undefined;
  readonly #chunks: Buffer[] = [];
  #size = 0;
  #settled = false;

  constructor(
    readonly origin: string,
    readonly request: OutgoingRequest,
    readonly signal: CallDeadline | undefined,
    readonly keepJson: boolean,
    readonly resolve: (value: unknown) => void,
    readonly reject: (error: unknown) => void,
  ) {
    signal?.once("abort", this.#onAbort);
  }

  /** The time is up: settle now, and stop the request wherever it is (queued or on the wire). */
  readonly #onAbort = () => {
    this.#controller?.abort(this.signal?.reason as Error);
    this.#settle(undefined, this.signal?.reason);
  };

  onRequestStart(controller: Controller): void {
    if (this.#settled) controller.abort(this.signal?.reason as Error);
    else this.#controller = controller;
  }

  onResponseStart(
    _controller: Controller,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    this.#status = statusCode;
    const type = headers["content-type"];
    this.#type = typeof type === "string" ? type : "";
    const stepError = headers[stepAnswerHeaders.error];
    this.#stepError = typeof stepError === "string" ? stepError : undefined;
    this.#dropped = headers[stepAnswerHeaders.drop] !== undefined;
    if (statusCode === 503 || statusCode === 429) this.#retryAfter = retryAfterOf(headers["retry-after"]);
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    this.#size += chunk.length;
    if (this.#size > maxAnswerBytes) {
      const error = new RemoteCallError(
        `the remote target answered more than ${maxAnswerBytes} bytes`,
        "answer",
        undefined,
        undefined,
        { detail: `${this.origin}${this.request.path} answered more than ${maxAnswerBytes} bytes` },
      );
      controller.abort(error);
      this.#settle(undefined, error);
      return;
    }
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    try {
      this.#settle(this.#decode(), undefined);
    } catch (error) {
      this.#settle(undefined, error);
    }
  }

  onResponseError(_controller: Controller, error: Error): void {
    this.#settle(undefined, connectionError(error, this.origin));
  }

  #settle(value: unknown, error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.signal?.removeListener("abort", this.#onAbort);
    if (error === undefined) this.resolve(value);
    else this.reject(error);
  }

  #decode(): unknown {
    const chunks = this.#chunks;
    const bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    const { method, path } = this.request;
    if (this.#status >= 400) {
      // A step function's own failure comes back as the step's error, not the target's.
      const stepError = stepErrorOfAnswer(this.#status, this.#stepError, bytes);
      if (stepError) throw stepError;
    }
    if (this.#status >= 300) {
      const start = bytes.toString("utf8", 0, 200);
      const detail = `${method} ${this.origin}${path} answered ${this.#status}${start ? `: ${start}` : ""}`;
      // A redirect is not followed: the target moved, and following it could lead anywhere.
      const moved = this.#status < 400 ? " (redirects are not followed)" : "";
      const options = this.#retryAfter === undefined ? { detail } : { detail, retryAfter: this.#retryAfter };
      throw new RemoteCallError(
        `the remote target answered ${this.#status}${moved}`,
        "answer",
        this.#status,
        undefined,
        options,
      );
    }
    if (bytes.length === 0) return this.#status === 204 && this.#dropped ? DROP : undefined;
    if (this.#type.includes("json")) {
      // Nothing in the graph reads it: the caller gets the target's bytes, as they came.
      if (this.keepJson) return new JsonBytes(bytes, this.#type);
      try {
        return JSON.parse(bytes.toString("utf8"));
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        throw new RemoteCallError("the remote target answered bad JSON", "answer", undefined, error, {
          detail: `${this.origin}${path} answered bad JSON (${why})`,
        });
      }
    }
    return this.#type.startsWith("text/") ? bytes.toString("utf8") : bytes;
  }
}

function connectionError(error: unknown, origin: string): unknown {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === "string" && connectCodes.has(code)) {
    return new RemoteCallError(`cannot connect to the remote target (${code})`, "connect", undefined, error, {
      detail: `cannot connect to ${origin} (${code})`,
    });
  }
  if (typeof code === "string" && resetCodes.has(code)) {
    return new RemoteCallError(
      `the connection to the remote target broke before an answer (${code})`,
      "reset",
      undefined,
      error,
      { detail: `the connection to ${origin} broke before an answer (${code}: ${message})` },
    );
  }
  // Invalid arguments and the like: our own mistake, not the target's.
  return error;
}
