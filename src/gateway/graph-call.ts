import type { IncomingMessage, ServerResponse } from "node:http";
// `performance` from node:perf_hooks, not the global one: on Node 20 the global is an accessor
// that runs a getter on every read (~40 ns, twice a request).
import { performance } from "node:perf_hooks";
import { isSluiceError, SluiceError } from "../errors.js";
import { type CompiledGraph, type GraphEvent, JsonBytes, type Logger } from "../graph/index.js";
import {
  binaryResponseParts,
  INFERENCE_HEADER_CONTENT_LENGTH,
  type InferResponse,
  jsonSafeBytes,
} from "../graph/oip/index.js";
import { sendError, sendJson, statusOf } from "./http/respond.js";
import type { GatewayMetrics, GraphMeters } from "./metrics/index.js";
import type { GraphRegistry } from "./registry.js";
import { deadlineMsOf, requestIdOf, traceparentOf } from "./request-context.js";

/**
 * A remote target's failure as an outside caller sees it: the message names no internal URL
 * (the log has it, under the same request id), and quotes the request id to look it up by.
 */
function forCaller(error: unknown, status: number, requestId: string): unknown {
  if (status < 500 || !isSluiceError(error) || error.code !== "SLUICE_ERR_REMOTE_FAILED") return error;
  return new SluiceError(
    error.code,
    `${error.message} (request id ${requestId}; details in the gateway's log)`,
    {
      status,
      ...(error.retryAfter === undefined ? {} : { retryAfter: error.retryAfter }),
    },
  );
}

/** The `detail` a remote failure keeps for the log (full URL, the target's answer), if any. */
function detailOf(error: unknown): string | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const { detail } = e as { detail?: unknown };
    if (typeof detail === "string") return detail;
  }
  return undefined;
}

/** A signal that aborts when the connection closes before the answer was sent. */
function abortedOnClose(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** Every HTTP event's trigger: one shared object, frozen so no step can change it for all. */
const httpTrigger = Object.freeze({ kind: "http" });

/** Outputs the caller asked for in the binary tensor format (OIP), if any. */
export type BinaryOutputs = Set<string> | "all" | undefined;

/**
 * How one transport (HTTP, gRPC) answers a graph call: one object per transport, never one
 * per request. `to` is the request's answer channel, `how` what the caller asked of the
 * answer's form (HTTP: its binary outputs). Each returns the answer's HTTP-style status, for
 * the request's log line.
 */
export interface Answerer<To, How> {
  /**
   * Sends the graph's result for `event` (its id is the request id); a result it cannot send
   * is thrown, and answered as a failure.
   */
  answer(to: To, result: unknown, event: GraphEvent, how: How): number;
  /** Sends a failure (the deadline's, the graph's, an unsendable result's). */
  fail(to: To, error: unknown, requestId: string): number;
}

export interface GraphCallOptions {
  /** Default per-request deadline (504 beyond). */
  timeoutMs: number;
  /** The most a caller may ask for with `x-request-timeout`. */
  maxTimeoutMs: number;
  logger: Logger;
  metrics?: GatewayMetrics | undefined;
  /** True once the server drains: answers then say `Connection: close`. */
  draining(): boolean;
}

/**
 * One request inside a graph, from its event to its answer: counted in flight (so a hot
 * reload closes the old version only after it), bounded by its deadline, measured. `call`
 * serves HTTP; `run` is the same path for any transport (gRPC) through its `Answerer`.
 *
 * This is the gateway's hottest path, kept flat on purpose: a graph whose steps all run
 * synchronously is answered in the same tick with no promise and no timer (a sync step
 * cannot be cut short anyway); only a graph that goes async gets a deadline timer.
 */
export class GraphCaller {
  readonly #meters = new Map<string, GraphMeters | undefined>();
  /** One log line per request, only when the logger is at debug (decided once). */
  readonly #logRequests: boolean;

  constructor(
    readonly registry: GraphRegistry,
    readonly options: GraphCallOptions,
  ) {
    this.#logRequests =
      (options.logger as { isLevelEnabled?: (l: string) => boolean }).isLevelEnabled?.("debug") ?? false;
  }

  /** The HTTP answerer: responses written on node:http's `ServerResponse`. */
  readonly #http: Answerer<ServerResponse, BinaryOutputs> = {
    answer: (res, result, event, binary) => {
      this.#respond(res, result, event, binary);
      return res.statusCode;
    },
    fail: (res, error, requestId) => {
      sendError(res, error, requestId);
      return res.statusCode;
    },
  };

  call(
    req: IncomingMessage,
    res: ServerResponse,
    graph: CompiledGraph,
    path: string,
    body: unknown,
    binary: BinaryOutputs,
    /** The bytes `body` was parsed from, when it was JSON. */
    bytes?: Buffer,
  ): void {
    const headers = req.headers as Record<string, string | undefined>;
    const requestId = requestIdOf(headers);
    headers["x-request-id"] = requestId;
    headers.traceparent = traceparentOf(headers);
    let deadlineMs: number;
    try {
      deadlineMs = deadlineMsOf(headers, this.options.timeoutMs, this.options.maxTimeoutMs);
    } catch (refused) {
      this.refused(graph);
      sendError(res, refused, requestId);
      return;
    }
    const time = Date.now();
    const event: GraphEvent = {
      id: requestId,
      body,
      path,
      method: req.method ?? "GET",
      headers,
      key: undefined,
      time,
      trigger: httpTrigger,
      deadline: time + deadlineMs,
      // JSON answers are written as the bytes they came in, unless the caller asked for binary tensors.
      answerBytes: binary === undefined,
    };
    // Only a batching model looks at it: requests queued for a batch whose caller left are dropped.
    if (graph.batches) event.signal = abortedOnClose(res);
    // Only a graph whose models record their calls keeps them: its records reuse the JSON.
    if (graph.monitors && bytes !== undefined) event.json = { request: bytes };
    this.run(this.#http, res, binary, graph, event, deadlineMs);
  }

  /**
   * Runs `event` (its `id` is the request id, its `deadline` set) through `graph` and answers
   * through `answerer`: counted in flight, bounded by `deadlineMs`, measured and logged alike
   * for every transport.
   */
  run<To, How>(
    answerer: Answerer<To, How>,
    to: To,
    how: How,
    graph: CompiledGraph,
    event: GraphEvent,
    deadlineMs: number,
  ): void {
    const requestId = event.id;
    const started = performance.now();
    const meters = this.#metersOf(graph.name);
    if (meters) meters.inFlight.value++;
    let outcome: unknown;
    try {
      outcome = this.registry.execute(graph, event);
    } catch (error) {
      const status = this.#failed(answerer, to, error, graph, requestId, meters);
      this.#leave(graph, meters, started, status, event.path, requestId);
      return;
    }
    if (!(outcome instanceof Promise)) {
      const status = this.#answer(answerer, to, how, outcome, graph, event, meters);
      this.#leave(graph, meters, started, status, event.path, requestId);
      return;
    }
    let answered = false;
    const timer = setTimeout(() => {
      answered = true;
      if (meters) meters.timeout.value++;
      answerer.fail(
        to,
        new SluiceError("SLUICE_ERR_STEP_TIMEOUT", `the request's deadline of ${deadlineMs} ms passed`),
        requestId,
      );
    }, deadlineMs);
    outcome.then(
      (result) => {
        clearTimeout(timer);
        const status = answered ? 504 : this.#answer(answerer, to, how, result, graph, event, meters);
        this.#leave(graph, meters, started, status, event.path, requestId);
      },
      (error: unknown) => {
        clearTimeout(timer);
        const status = answered ? 504 : this.#failed(answerer, to, error, graph, requestId, meters);
        this.#leave(graph, meters, started, status, event.path, requestId);
      },
    );
  }

  /**
   * Sends the graph's response; one that cannot be sent (a result JSON cannot represent, a
   * bad binary tensor) is the graph's failure, answered 500, never an uncaught exception.
   */
  #answer<To, How>(
    answerer: Answerer<To, How>,
    to: To,
    how: How,
    result: unknown,
    graph: CompiledGraph,
    event: GraphEvent,
    meters: GraphMeters | undefined,
  ): number {
    let status: number;
    try {
      status = answerer.answer(to, result, event, how);
    } catch (error) {
      return this.#failed(answerer, to, error, graph, event.id, meters);
    }
    if (meters) meters.ok.value++;
    return status;
  }

  /** A request for `graph` refused at the edge (its body broke the protocol): a client error. */
  refused(graph: CompiledGraph): void {
    const meters = this.#metersOf(graph.name);
    if (meters) meters.clientError.value++;
  }

  #metersOf(graph: string): GraphMeters | undefined {
    let meters = this.#meters.get(graph);
    if (meters === undefined && this.options.metrics) {
      meters = this.options.metrics.graphMeters(graph);
      this.#meters.set(graph, meters);
    }
    return meters;
  }

  #failed<To, How>(
    answerer: Answerer<To, How>,
    to: To,
    error: unknown,
    graph: CompiledGraph,
    requestId: string,
    meters: GraphMeters | undefined,
  ): number {
    const status = statusOf(error);
    if (meters) (status < 500 ? meters.clientError : meters.error).value++;
    if (status >= 500)
      this.options.logger.warn(
        { err: error, graph: graph.name, requestId, detail: detailOf(error) },
        "request failed",
      );
    return answerer.fail(to, forCaller(error, status, requestId), requestId);
  }

  /** The request is answered: its latency, in-flight count and (at debug) its log line. */
  #leave(
    graph: CompiledGraph,
    meters: GraphMeters | undefined,
    started: number,
    status: number,
    path: string,
    requestId: string,
  ): void {
    const seconds = (performance.now() - started) / 1000;
    if (meters) {
      meters.inFlight.value--;
      meters.latency.observe(seconds);
    }
    if (this.#logRequests) {
      this.options.logger.debug(
        { requestId, graph: graph.name, path, status, ms: seconds * 1000 },
        "request",
      );
    }
  }

  #respond(res: ServerResponse, result: unknown, event: GraphEvent, binary: BinaryOutputs): void {
    const requestId = event.id;
    if (this.options.draining()) res.setHeader("connection", "close");
    if (result === undefined) {
      // The graph dropped the event (a filter): nothing to say.
      res.writeHead(204, { "x-request-id": requestId });
      res.end();
    } else if (result instanceof JsonBytes) {
      res.writeHead(200, {
        "content-type": result.type,
        "content-length": result.bytes.length,
        "x-request-id": requestId,
      });
      res.end(result.bytes);
    } else if (Buffer.isBuffer(result)) {
      res.writeHead(200, { "content-type": "application/octet-stream", "x-request-id": requestId });
      res.end(result);
    } else if (binary) {
      const { parts, headerLength, length } = binaryResponseParts(result as InferResponse, binary);
      res.writeHead(200, {
        "content-type": "application/octet-stream",
        "content-length": length,
        [INFERENCE_HEADER_CONTENT_LENGTH]: headerLength,
        "x-request-id": requestId,
      });
      // Each part as it is (a tensor's bytes are its typed array's memory): corked, they leave
      // with the headers in one writev when end() uncorks, and no body is joined into one buffer.
      res.cork();
      for (const part of parts) res.write(part);
      res.end();
    } else {
      const text = sendJson(res, 200, jsonSafeBytes(result), requestId);
      // A monitoring record of this very answer splices its text in (graph/monitoring).
      const { json } = event;
      if (json) {
        json.answer = result;
        json.answerText = text;
      }
    }
  }
}
