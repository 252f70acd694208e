import type { Dispatcher } from "undici";
import { SluiceError } from "../../errors.js";
import type { GraphEvent } from "../contract.js";
import type { BreakerSpec, RemoteCall, RemoteRoute, StepBase, TaskStep } from "../document.js";
import { durationProblem, parseDuration } from "../duration.js";
import type { Runner } from "../executor.js";
import { JsonBytes } from "../json-bytes.js";
import {
  type BreakerSettings,
  CallDeadline,
  defaultBackoff,
  defaultBreaker,
  type GaveUp,
  type RemoteTarget,
  type RetryPolicy,
  withRetries,
} from "../resilience/index.js";
import { timeoutError } from "../step-error.js";
import { type BuildEnv, reportProblem } from "./env.js";
import { isRetryable, type OutgoingRequest, sendOnce } from "./remote-http.js";
import { parseUrlTemplate, type UrlTemplate } from "./remote-url.js";
import { noLifecycle, type StepRuntime } from "./runtime.js";

/** Everything a call needs, decided at compile time. */
interface RemoteSpec {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: "auto" | "json" | "raw";
  /** The content-type of bytes sent; default: the caller's (what a proxy would forward). */
  bytesType?: string;
  /**
   * Nothing in the graph reads the answer (src/graph/pass-through.ts): a JSON answer stays in
   * its bytes for a caller that writes them as they are (`GraphEvent.answerBytes`).
   */
  keepsAnswer: boolean;
  call: RemoteCall;
  timeout: StepBase["timeout"];
}

/**
 * A remote step (or route): the step's input goes to `url` over the target's pooled
 * keep-alive client, and the answer becomes its output. Each call passes the target's
 * circuit breaker and bulkhead, is aborted at the step's timeout or the request's deadline
 * (code TIMEOUT), and is retried with backoff when that is safe (src/graph/resilience).
 */
export function buildRemote(
  spec: RemoteRoute,
  at: string,
  name: string,
  env: BuildEnv,
): StepRuntime | undefined {
  return remoteRuntime(
    {
      url: spec.url,
      method: (spec.method ?? "POST").toUpperCase(),
      headers: spec.headers ?? {},
      body: spec.body ?? "auto",
      keepsAnswer: env.passThrough?.answers.has(name) ?? false,
      call: spec,
      timeout: spec.timeout,
    },
    at,
    name,
    env,
  );
}

/**
 * A task step placed `nuclio`: the gateway calls the step's function with the same
 * machinery, at `nuclio.url` or, by convention, the Service Nuclio makes for the function
 * `<graph>-<function>`. The function learns which step to run from `x-sluice-step`; bytes go
 * as application/octet-stream, so that the function hands its step bytes, as in-process. Its
 * answers follow src/graph/step-answer.ts: a step's error comes back as that StepError (same
 * status, code and message), a dropped event as DROP.
 */
export function buildNuclioStep(
  spec: TaskStep,
  at: string,
  name: string,
  env: BuildEnv,
): StepRuntime | undefined {
  const nuclio = spec.nuclio ?? {};
  return remoteRuntime(
    {
      url: nuclio.url ?? nuclioUrl(env.graph, spec.function ?? name),
      method: "POST",
      headers: { "x-sluice-graph": env.graph, "x-sluice-step": name },
      body: "auto",
      bytesType: "application/octet-stream",
      keepsAnswer: false,
      call: nuclio,
      timeout: spec.timeout,
    },
    `${at}/nuclio`,
    name,
    env,
  );
}

/** `http://nuclio-<graph>-<function>:8080/`, the function name made a DNS label. */
export function nuclioUrl(graph: string, fn: string): string {
  const label = `${graph}-${fn}`.toLowerCase().replace(/[^a-z0-9-]/g, "-");
  return `http://nuclio-${label}:8080/`;
}

function remoteRuntime(spec: RemoteSpec, at: string, name: string, env: BuildEnv): StepRuntime | undefined {
  const url = parseUrlTemplate(spec.url);
  if (typeof url === "string") {
    reportProblem(env, `${at}/url`, url, name);
    return undefined;
  }
  const settings = callSettings(spec.call, at, name, env);
  const claimed = env.remotes.claim(url.origin, name, {
    breaker: settings.breaker,
    limits: spec.call.target,
  });
  if (typeof claimed === "string") {
    reportProblem(env, `${at}/${spec.call.breaker !== undefined ? "breaker" : "target"}`, claimed, name);
    return undefined;
  }
  const timeoutMs = spec.timeout === undefined ? undefined : parseDuration(spec.timeout);
  return { ...noLifecycle, run: remoteRunner(spec, url, claimed, settings.retry, timeoutMs) };
}

/** The step's retry policy and breaker settings, with defaults applied once. */
function callSettings(
  call: RemoteCall,
  at: string,
  name: string,
  env: BuildEnv,
): { retry: RetryPolicy; breaker: BreakerSettings | false | undefined } {
  const ms = (value: string | number | undefined, field: string, fallback: number) => {
    if (value === undefined) return fallback;
    const parsed = parseDuration(value);
    if (parsed === undefined) reportProblem(env, `${at}/${field}`, durationProblem(value), name);
    return parsed ?? fallback;
  };
  const retry: RetryPolicy = {
    retries: call.retries ?? 0,
    initialMs: ms(call.backoff?.initial, "backoff/initial", defaultBackoff.initialMs),
    maxMs: ms(call.backoff?.max, "backoff/max", defaultBackoff.maxMs),
  };
  let breaker: BreakerSettings | false | undefined;
  if (call.breaker === false) breaker = false;
  else if (typeof call.breaker === "object") {
    const b: BreakerSpec = call.breaker;
    breaker = {
      errorThresholdPercentage: b.errorThresholdPercentage ?? defaultBreaker.errorThresholdPercentage,
      volumeThreshold: b.volumeThreshold ?? defaultBreaker.volumeThreshold,
      resetTimeoutMs: ms(b.resetTimeout, "breaker/resetTimeout", defaultBreaker.resetTimeoutMs),
      rollingCountTimeoutMs: ms(
        b.rollingCountTimeout,
        "breaker/rollingCountTimeout",
        defaultBreaker.rollingCountTimeoutMs,
      ),
      rollingCountBuckets: b.rollingCountBuckets ?? defaultBreaker.rollingCountBuckets,
    };
  }
  return { retry, breaker };
}

const traced = ["x-request-id", "traceparent", "tracestate"] as const;

function remoteRunner(
  spec: RemoteSpec,
  url: UrlTemplate,
  target: () => RemoteTarget,
  retry: RetryPolicy,
  timeoutMs: number | undefined,
): Runner {
  const method = spec.method as Dispatcher.HttpMethod;
  const hasBody = method !== "GET" && method !== "HEAD";
  const fixedType = Object.keys(spec.headers).some((h) => h.toLowerCase() === "content-type");
  const retryable = (error: unknown) => isRetryable(error, method);

  /** One attempt: fail fast on an open breaker, else wait for the bulkhead, then send. */
  const attempt = (request: OutgoingRequest, signal: CallDeadline | undefined, keepJson: boolean) => {
    const t = target();
    const breaker = t.breaker;
    if (breaker?.refusing) return Promise.reject(breaker.openError());
    const send = () => sendOnce(t.pool, t.origin, request, signal, keepJson);
    const guarded = breaker ? () => breaker.fire(send) : send;
    return t.bulkhead ? t.bulkhead.run(guarded, { signal }) : guarded();
  };

  const call = (request: OutgoingRequest, signal: CallDeadline | undefined, keepJson: boolean) => {
    if (retry.retries === 0) return attempt(request, signal, keepJson);
    return withRetries(() => attempt(request, signal, keepJson), retry, retryable, {
      deadline: signal?.at,
      signal,
      annotate,
    });
  };

  return (input, event) => {
    const now = Date.now();
    const byTimeout = timeoutMs === undefined ? undefined : now + timeoutMs;
    const deadline = earliest(byTimeout, event.deadline);
    const request: OutgoingRequest = {
      path: url.path(event),
      method,
      headers: headersFor(spec.headers, event, deadline, now),
      body: null,
    };
    if (hasBody) encodeBody(request, input, spec, fixedType, event);
    const keepJson = spec.keepsAnswer && event.answerBytes === true;
    if (deadline === undefined) return call(request, undefined, keepJson);
    const expired = () =>
      deadline === byTimeout
        ? timeoutError(timeoutMs as number)
        : new SluiceError(
            "SLUICE_ERR_STEP_TIMEOUT",
            `the request's deadline passed before ${url.origin} answered`,
          );
    if (deadline <= now) return Promise.reject(expired());
    // One timer per call aborts whatever is under way when the time is up: the request,
    // the wait for a bulkhead slot, or the wait before a retry.
    const signal = new CallDeadline(deadline, expired);
    return call(request, signal, keepJson).then(
      (value) => {
        signal.clear();
        return value;
      },
      (error: unknown) => {
        signal.clear();
        throw signal.aborted ? signal.reason : error;
      },
    );
  };
}

/** Says how many attempts were made, and why retrying stopped early. */
function annotate(error: unknown, attempts: number, gaveUp: GaveUp): unknown {
  if (error instanceof SluiceError && (attempts > 1 || gaveUp)) {
    const stopped = gaveUp === "deadline" ? "; no time left before the deadline for another" : "";
    error.message += ` (after ${attempts} attempt${attempts > 1 ? "s" : ""}${stopped})`;
  }
  return error;
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : Math.min(a, b);
}

/** The step's headers, plus the request id, trace context and the time left for the call. */
function headersFor(
  fixed: Record<string, string>,
  event: GraphEvent,
  deadline: number | undefined,
  now: number,
): Record<string, string> {
  const out: Record<string, string> = { ...fixed };
  for (const name of traced) {
    const value = event.headers[name];
    if (value !== undefined) out[name] = value;
  }
  // A sluice (or any deadline-aware) target can stop when the caller has stopped waiting.
  if (deadline !== undefined) out["x-request-timeout"] = String(Math.max(1, deadline - now));
  return out;
}

/**
 * Bytes go as they are (with the caller's content-type), a request's JSON bytes too (in any
 * mode: they are JSON), strings too for `raw`, else JSON.
 */
function encodeBody(
  request: OutgoingRequest,
  input: unknown,
  spec: RemoteSpec,
  fixedType: boolean,
  event: GraphEvent,
): void {
  const mode = spec.body;
  let type: string;
  if (input instanceof JsonBytes) {
    request.body = input.bytes;
    type = input.type;
  } else if (mode !== "json" && input instanceof Uint8Array) {
    request.body = input;
    type = spec.bytesType ?? event.headers["content-type"] ?? "application/octet-stream";
  } else if (mode === "raw" && typeof input === "string") {
    request.body = input;
    type = "text/plain; charset=utf-8";
  } else {
    request.body = input === undefined ? null : JSON.stringify(input);
    type = "application/json";
  }
  if (!fixedType) request.headers["content-type"] = type;
}
