import type { Metadata, ServerUnaryCall, sendUnaryData, UntypedServiceImplementation } from "@grpc/grpc-js";
import { SluiceError } from "../../errors.js";
import type { GraphEvent, Logger } from "../../graph/index.js";
import { checkDeclaredInputs, type InferRequest } from "../../graph/oip/index.js";
import { declaredInputsFor, modelNotFound, withLoadState } from "../data-plane.js";
import type { Answerer, GraphCaller } from "../graph-call.js";
import { statusOf } from "../http/respond.js";
import type { GraphRegistry, ServedModel } from "../registry.js";
import { requestIdOf, traceparentOf } from "../request-context.js";
import type { ModelInferRequest, ModelInferResponse, ModelRequest } from "./messages.js";
import { toInferRequest } from "./request.js";
import { toModelInferResponse, toModelMetadataResponse } from "./response.js";
import { grpcError } from "./status.js";

export interface InferenceServiceOptions {
  registry: GraphRegistry;
  caller: GraphCaller;
  /** Reported by ServerMetadata. */
  version: string;
  /** Default per-call deadline, for calls that set none. */
  timeoutMs: number;
  /** The longest a call's own deadline may hold a graph. */
  maxTimeoutMs: number;
  logger: Logger;
  /** Readiness beyond the graphs' own (the stream triggers'), as for `/v2/health/ready`. */
  ready?: () => boolean;
}

type Reply = sendUnaryData<ModelInferResponse>;

/** Every gRPC event's trigger: one shared object, frozen so no step can change it for all. */
const grpcTrigger = Object.freeze({ kind: "grpc" });

/**
 * How a graph call answers over gRPC: the response message, or the failure as a status whose
 * code matches the HTTP status. `raw` (the request's inputs were raw) asks for raw outputs.
 */
const answerer: Answerer<Reply, boolean> = {
  answer(reply, result, _event, raw) {
    reply(null, toModelInferResponse(result, raw));
    return 200;
  },
  fail(reply, error, requestId) {
    reply(grpcError(error, requestId));
    return statusOf(error);
  },
};

/**
 * The handlers of `inference.GRPCInferenceService`: the same answers as the HTTP data plane's
 * OIP endpoints, and ModelInfer takes the same path into the same graph.
 */
export function inferenceHandlers(options: InferenceServiceOptions): UntypedServiceImplementation {
  const { registry, caller } = options;
  /** The model a request names, or undefined after answering NOT_FOUND. */
  const served = (request: ModelRequest, requestId: string, reply: (error: object) => void) => {
    const name = request.name ?? "";
    const version = request.version || undefined; // proto3: "" is "not set"
    const model = registry.model(name, version);
    if (!model) reply(grpcError(modelNotFound(registry, name, version), requestId));
    return model;
  };
  return {
    ServerLive: (_call: ServerUnaryCall<object, object>, reply: sendUnaryData<object>) =>
      reply(null, { live: true }),
    ServerReady: (_call: ServerUnaryCall<object, object>, reply: sendUnaryData<object>) =>
      reply(null, { ready: registry.ready && (options.ready?.() ?? true) }),
    ServerMetadata: (_call: ServerUnaryCall<object, object>, reply: sendUnaryData<object>) =>
      // No extension of the REST protocol (binary_tensor_data...) applies to this endpoint.
      reply(null, { name: "sluice", version: options.version, extensions: [] }),
    ModelReady: (call: ServerUnaryCall<ModelRequest, object>, reply: sendUnaryData<object>) => {
      const model = served(call.request, requestIdOf(headersOf(call.metadata)), reply);
      if (model) reply(null, { ready: model.model.ready });
    },
    ModelMetadata: (call: ServerUnaryCall<ModelRequest, object>, reply: sendUnaryData<object>) => {
      const requestId = requestIdOf(headersOf(call.metadata));
      const model = served(call.request, requestId, reply);
      if (model) describe(model, requestId, reply, options.logger);
    },
    ModelInfer: (call: ServerUnaryCall<ModelInferRequest, ModelInferResponse>, reply: Reply) => {
      const headers = headersOf(call.metadata);
      const requestId = requestIdOf(headers);
      headers["x-request-id"] = requestId;
      headers.traceparent = traceparentOf(headers);
      const message = call.request;
      const model = served({ name: message.model_name, version: message.model_version }, requestId, reply);
      if (!model) return;
      let body: InferRequest;
      try {
        body = toInferRequest(message);
        checkDeclaredInputs(body, declaredInputsFor(model.model), model.model.key);
      } catch (refused) {
        if (statusOf(refused) < 500) caller.refused(model.graph);
        reply(grpcError(refused, requestId));
        return;
      }
      if (!model.model.ready) {
        reply(grpcError(model.model.notReadyError(), requestId));
        return;
      }
      const deadlineMs = callDeadlineMs(call.getDeadline(), options.timeoutMs, options.maxTimeoutMs);
      const time = Date.now();
      const event: GraphEvent = {
        id: requestId,
        body,
        path: inferPath(model),
        method: "POST",
        headers,
        key: undefined,
        time,
        trigger: grpcTrigger,
        deadline: time + deadlineMs,
      };
      // As over HTTP: a batching model drops a queued request whose caller cancelled.
      if (model.graph.batches) event.signal = abortedOnCancel(call);
      caller.run(answerer, reply, message.raw_input_contents !== undefined, model.graph, event, deadlineMs);
    },
  };
}

/** What a model's metadata() returns is user code: what it throws is this call's INTERNAL. */
function describe(model: ServedModel, requestId: string, reply: sendUnaryData<object>, logger: Logger): void {
  let response: object;
  try {
    response = toModelMetadataResponse(withLoadState(model.model.metadata(), model.model));
  } catch (error) {
    const { key } = model.model;
    logger.error({ err: error, graph: model.graph.name, model: key }, "model metadata failed");
    const why = error instanceof Error ? error.message : String(error);
    reply(
      grpcError(
        new SluiceError("SLUICE_ERR_STEP_FAILED", `model "${key}" could not describe itself: ${why}`),
        requestId,
      ),
    );
    return;
  }
  reply(null, response);
}

/** The path the same request has over HTTP, which steps and routers may read. */
function inferPath({ model }: ServedModel): string {
  const name = encodeURIComponent(model.name);
  return model.version === undefined
    ? `/v2/models/${name}/infer`
    : `/v2/models/${name}/versions/${encodeURIComponent(model.version)}/infer`;
}

/** The call's text metadata as event headers (binary `-bin` entries are left out). */
function headersOf(metadata: Metadata): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  const map = metadata.getMap();
  for (const key of Object.keys(map)) {
    const value = map[key];
    if (typeof value === "string") headers[key] = value;
  }
  return headers;
}

/**
 * How long the graph may take: what is left of the caller's deadline, never more than the
 * server's cap (as `x-request-timeout` over HTTP); the server's default when the call set none.
 */
function callDeadlineMs(deadline: Date | number, defaultMs: number, maxMs: number): number {
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  if (!Number.isFinite(at)) return defaultMs;
  return Math.max(0, Math.min(at - Date.now(), maxMs));
}

/** Aborts when the client cancels the call (or its deadline passes on the client's side). */
function abortedOnCancel(call: { once(event: "cancelled", listener: () => void): unknown }): AbortSignal {
  const controller = new AbortController();
  call.once("cancelled", () => controller.abort());
  return controller.signal;
}
