import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import { isSluiceError, SluiceError } from "../../errors.js";
import {
  type CompiledGraph,
  type GenerateChunk,
  type GraphEvent,
  generatePlan,
  type Logger,
  type ModelRunner,
  runGenerate,
} from "../../graph/index.js";
import { collectBody, isJsonType, parseJsonBody } from "../http/body.js";
import { sendError, sendJson, statusOf } from "../http/respond.js";
import type { GatewayMetrics, GraphMeters } from "../metrics/index.js";
import type { GraphRegistry } from "../registry.js";
import { deadlineMsOf, requestIdOf, traceparentOf } from "../request-context.js";
import { type GenerateRequest, parseGenerateRequest } from "./request.js";
import { ChunkEvents, sseEvent, sseHeaders, writeEvent } from "./sse.js";

export interface GeneratorOptions {
  bodyLimit: number;
  timeoutMs: number;
  maxTimeoutMs: number;
  logger: Logger;
  metrics?: GatewayMetrics | undefined;
  /** True once the server drains: answers then say `Connection: close`. */
  draining(): boolean;
}

/** Every generate event's trigger, shared and frozen as the data plane's is. */
const httpTrigger = Object.freeze({ kind: "http" });

/** Why a generation stopped before its end, as the caller is told. */
class Timeout extends SluiceError {
  constructor(ms: number) {
    super("SLUICE_ERR_STEP_TIMEOUT", `the request's deadline of ${ms} ms passed before the first chunk`);
  }
}

/**
 * `POST /v2/models/<m>[/versions/<v>]/generate` and `/generate_stream`
 * (specs/generate_rest.yaml): the request goes through the model's graph (docs/generate.md);
 * `generate` answers the joined text as JSON, `generate_stream` each chunk as a server-sent
 * event. The answer's headers wait for the first chunk, so a failure before it has its own
 * status (422, 424, 429, 503, 504...). A client that disconnects aborts the model's signal;
 * a client that reads slowly holds the model back (one chunk at a time, on `drain`).
 */
export class Generator {
  readonly #meters = new Map<string, GraphMeters>();

  constructor(
    readonly registry: GraphRegistry,
    readonly options: GeneratorOptions,
  ) {}

  handle(
    req: IncomingMessage,
    res: ServerResponse,
    served: { graph: CompiledGraph; model: ModelRunner },
    stream: boolean,
  ): void {
    const requestId = requestIdOf(req.headers);
    collectBody(req, this.options.bodyLimit, (error, raw) => {
      let request: GenerateRequest;
      let deadlineMs: number;
      try {
        if (error) throw error;
        const type = req.headers["content-type"];
        if (type !== undefined && !isJsonType(type)) {
          throw new SluiceError("SLUICE_ERR_INPUT", `generate takes application/json, not ${type}`, {
            status: 415,
          });
        }
        request = parseGenerateRequest(asValidation(() => parseJsonBody(raw)));
        deadlineMs = deadlineMsOf(req.headers, this.options.timeoutMs, this.options.maxTimeoutMs);
      } catch (refused) {
        if (statusOf(refused) === 413) res.setHeader("connection", "close");
        this.#fail(res, refused, requestId, stream, served.graph, false);
        return;
      }
      this.registry
        .enter(served.graph, () =>
          this.#generate(req, res, served, request, { requestId, deadlineMs, stream }),
        )
        .catch((error: unknown) => {
          // #generate answers every failure itself: this is a bug, said and answered.
          this.options.logger.error({ err: error, requestId }, "generation broke");
          if (!res.headersSent) sendError(res, error, requestId);
          else res.destroy();
        });
    });
  }

  async #generate(
    req: IncomingMessage,
    res: ServerResponse,
    { graph, model }: { graph: CompiledGraph; model: ModelRunner },
    request: GenerateRequest,
    call: { requestId: string; deadlineMs: number; stream: boolean },
  ): Promise<void> {
    const { requestId, deadlineMs, stream } = call;
    const headers = req.headers as Record<string, string | undefined>;
    headers["x-request-id"] = requestId;
    headers.traceparent = traceparentOf(headers);
    const time = Date.now();
    const event: GraphEvent = {
      id: requestId,
      body: request,
      path: req.url ?? "/",
      method: "POST",
      headers,
      time,
      trigger: httpTrigger,
      deadline: time + deadlineMs,
    };
    const meters = this.#metersOf(graph.name);
    const started = performance.now();
    if (meters) meters.inFlight.value++;
    const controller = new AbortController();
    const { signal } = controller;
    // The client left before the end: the model's signal aborts, and its iterator is returned.
    const onClose = () => {
      if (!res.writableFinished) controller.abort(new Error("the client disconnected"));
    };
    res.on("close", onClose);
    // Until the first chunk (for generate: the whole answer), the request's deadline holds.
    const timer = setTimeout(() => controller.abort(new Timeout(deadlineMs)), deadlineMs);
    const base = {
      model_name: model.name,
      ...(model.version === undefined ? {} : { model_version: model.version }),
    };
    // Only a stream writes events; a joined answer is one JSON body.
    const events = stream ? new ChunkEvents(base) : undefined;
    let written = false;
    const text: string[] = [];
    let last: GenerateChunk | undefined;
    const tokens: unknown[] = [];
    try {
      const plan = generatePlan(graph, model);
      for await (const chunk of runGenerate(
        plan,
        request,
        event,
        signal,
        stream ? "generate_stream" : "generate",
      )) {
        if (stream) {
          if (!written) {
            clearTimeout(timer);
            res.writeHead(200, sseHeaders(requestId, this.options.draining()));
            written = true;
          }
          const full = writeEvent(res, (events as ChunkEvents).event(chunk), signal);
          if (full) await full;
          if (signal.aborted) break;
        } else {
          text.push(chunk.text_output);
          last = chunk;
          const token = chunk.details?.token;
          if (token !== undefined) tokens.push(token);
        }
      }
      clearTimeout(timer);
      if (signal.aborted && !(signal.reason instanceof Timeout)) return;
      if (signal.reason instanceof Timeout) throw signal.reason;
      if (stream) {
        if (!written) res.writeHead(200, sseHeaders(requestId, this.options.draining()));
        res.end();
      } else {
        if (this.options.draining()) res.setHeader("connection", "close");
        const details = request.parameters?.details === true ? detailsOf(last, tokens) : undefined;
        sendJson(
          res,
          200,
          { ...base, text_output: text.join(""), ...(details ? { details } : {}) },
          requestId,
        );
      }
      if (meters) meters.ok.value++;
    } catch (error) {
      clearTimeout(timer);
      const failure = signal.reason instanceof Timeout ? signal.reason : error;
      if (signal.aborted && !(signal.reason instanceof Timeout)) return; // nobody is there to tell
      this.#fail(res, failure, requestId, stream, graph, written);
    } finally {
      res.off("close", onClose);
      if (meters) {
        meters.inFlight.value--;
        meters.latency.observe((performance.now() - started) / 1000);
      }
    }
  }

  /** A failure as the spec answers it: `{error}` as JSON, or as an event of the stream. */
  #fail(
    res: ServerResponse,
    error: unknown,
    requestId: string,
    stream: boolean,
    graph: CompiledGraph,
    written: boolean,
  ): void {
    const meters = this.#metersOf(graph.name);
    const failure = asSpecFailure(error);
    const status = statusOf(failure);
    if (meters) (status < 500 ? meters.clientError : meters.error).value++;
    if (status >= 500) {
      this.options.logger.warn({ err: error, graph: graph.name, requestId }, "generation failed");
    }
    const message = failure instanceof Error ? failure.message : String(failure);
    if (written) {
      // The stream has begun with 200: the failure is its last event.
      res.end(sseEvent({ error: `Incomplete generation: ${message}` }));
      return;
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (!stream) {
      sendError(res, failure, requestId);
      return;
    }
    const retryAfter = isSluiceError(failure) && !failure.permanent && (status === 429 || status === 503);
    if (retryAfter) res.setHeader("retry-after", String(failure.retryAfter ?? 1));
    res.writeHead(status, sseHeaders(requestId, this.options.draining()));
    res.end(sseEvent({ error: message }));
  }

  #metersOf(graph: string): GraphMeters | undefined {
    const { metrics } = this.options;
    if (!metrics) return undefined;
    let meters = this.#meters.get(graph);
    if (!meters) {
      meters = metrics.graphMeters(graph);
      this.#meters.set(graph, meters);
    }
    return meters;
  }
}

/** The spec's "model is overloaded" is 429, where sluice's bulkheads say 503. */
function asSpecFailure(error: unknown): unknown {
  if (!isSluiceError(error) || error.code !== "SLUICE_ERR_OVERLOADED") return error;
  return new SluiceError(error.code, error.message, { status: 429, cause: error });
}

/** A body that is not JSON is the spec's input validation error, 422. */
function asValidation<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new SluiceError("SLUICE_ERR_INPUT", (error as Error).message, { status: 422, cause: error });
  }
}

/** The spec's Details of a joined answer: the last chunk's finish_reason and the tokens seen. */
function detailsOf(last: GenerateChunk | undefined, tokens: unknown[]): Record<string, unknown> | undefined {
  const reason = last?.details?.finish_reason;
  if (reason === undefined && tokens.length === 0) return undefined;
  return { finish_reason: reason ?? null, logprobs: tokens };
}
