import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, Server as NetServer, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import FindMyWay, { type HTTPMethod, type HTTPVersion } from "find-my-way";
import { SluiceError } from "../errors.js";
import type { CompiledGraph, Logger, ModelRunner } from "../graph/index.js";
import {
  binaryOutputsFor,
  checkDeclaredInputs,
  declaredInputsOf,
  decodeBinaryRequest,
  INFERENCE_HEADER_CONTENT_LENGTH,
  type InferRequest,
  type ModelMetadata,
  parseInferRequest,
  type TensorMetadata,
} from "../graph/oip/index.js";
import { Generator } from "./generate/index.js";
import { GraphCaller } from "./graph-call.js";
import { collectBody, isJsonType, jsonBytesOf, parseJsonBody } from "./http/body.js";
import { sendError, sendJson, statusOf } from "./http/respond.js";
import type { GatewayMetrics } from "./metrics/index.js";
import type { GraphRegistry } from "./registry.js";
import { repositoryHandlers } from "./repository.js";
import { newRequestId, requestIdOf } from "./request-context.js";

export interface DataPlaneOptions {
  /** Largest request body accepted, in bytes (413 beyond). */
  bodyLimit: number;
  /** Default per-request deadline (504 beyond). */
  timeoutMs: number;
  /** The most a caller may ask for with `x-request-timeout`. */
  maxTimeoutMs: number;
  logger: Logger;
  metrics?: GatewayMetrics;
  /** Reported by `GET /v2`. */
  version: string;
  /** Readiness beyond the graphs' own (the stream triggers'): `/v2/health/ready` is 503 while false. */
  ready?: () => boolean;
  /** How long a client may take to send its headers (default 10 s, at most `timeoutMs`). */
  headersTimeoutMs?: number;
  /** Serve the model repository extension (`/v2/repository/...`); its changes need `token` when set. */
  repository?: { token?: string | undefined } | undefined;
}

/** A connection of the data plane, with the answer to its latest request. */
type AnsweringSocket = Socket & { [answerOf]?: ServerResponse };
const answerOf = Symbol("sluice.answer");

type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  params: Record<string, string | undefined>,
) => void;

export type DataPlaneState = "serving" | "draining" | "closed";

/**
 * The HTTP data plane: plain `node:http` with a radix router (find-my-way). The Open
 * Inference Protocol endpoints are answered from the served models; every other path enters
 * the default graph (or `/graphs/<name>/...` a named one) as an event.
 */
export class DataPlane {
  readonly server: Server;
  #state: DataPlaneState = "serving";
  #active = 0;
  /**
   * The open connections, so drain can find requests still sending their body: each socket
   * holds its latest answer (`answerOf`). Kept per connection, not per request, where a set of
   * answers cost an add and a delete (and the set's rehashing) on every request.
   */
  readonly #connections = new Set<AnsweringSocket>();
  #idle: (() => void)[] = [];
  readonly #router;
  /** The first segment of every registered route (`/v2`, `/graphs`): only these need the router. */
  readonly #routed = new Set<string>();
  readonly #caller: GraphCaller;
  readonly #generator: Generator;
  /** One listener for every answer's `close`: no closure per request. */
  readonly #onClose = () => this.#finished();

  constructor(
    readonly registry: GraphRegistry,
    readonly options: DataPlaneOptions,
  ) {
    this.#caller = new GraphCaller(registry, { ...options, draining: () => this.#state !== "serving" });
    this.#generator = new Generator(registry, { ...options, draining: () => this.#state !== "serving" });
    this.#router = FindMyWay<HTTPVersion.V1>({
      ignoreTrailingSlash: true,
      // `/v2` itself with another method than GET misses every route, and lands here.
      defaultRoute: (req, res) => {
        if (!this.#refusedMethod(req, res)) this.#defaultGraph(req, res);
      },
    });
    this.#routes();
    this.server = createServer(
      {
        keepAliveTimeout: 65_000,
        // Slow clients may not hold sockets: headers must arrive within headersTimeout, the
        // whole request (its body included) within the request deadline, checked each second.
        headersTimeout: Math.min(options.headersTimeoutMs ?? 10_000, options.timeoutMs),
        requestTimeout: options.timeoutMs,
        connectionsCheckingInterval: 1_000,
      },
      (req, res) => this.#handle(req, res),
    );
    this.server.on("clientError", answerClientError);
    this.server.on("connection", (socket: AnsweringSocket) => {
      this.#connections.add(socket);
      socket.once("close", () => this.#connections.delete(socket));
    });
  }

  get state(): DataPlaneState {
    return this.#state;
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once("error", (error: NodeJS.ErrnoException) => {
        const why = error.code === "EADDRINUSE" ? `port ${port} on ${host} is in use` : error.message;
        reject(new SluiceError("SLUICE_ERR_INTERNAL", `cannot listen: ${why}`, { cause: error }));
      });
      this.server.listen(port, host, () => resolve(this.server.address() as AddressInfo));
    });
  }

  /**
   * Stops taking new connections, answers late requests 503 with `Connection: close`, and
   * resolves once every accepted request has been answered.
   */
  drain(): Promise<void> {
    if (this.#state === "serving") {
      this.#state = "draining";
      // New connections are refused; open keep-alive ones stay until the in-flight requests
      // are done, so a request already on its way gets a clear 503 rather than a reset.
      // (http.Server#close would also drop idle keep-alive connections at once.)
      NetServer.prototype.close.call(this.server);
      this.#refuseUnfinishedUploads();
    }
    if (this.#active === 0) {
      this.server.closeIdleConnections();
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /**
   * A request still sending its body when the drain starts has not reached any step: it is
   * answered 503 and its connection closed, rather than holding the shutdown until --grace
   * (a client trickling a body could otherwise keep the process up for as long as --timeout).
   */
  #refuseUnfinishedUploads(): void {
    for (const socket of this.#connections) {
      const res = socket[answerOf];
      // Node may have answered it already (a request timeout's 408) and closed the socket.
      if (res === undefined || res.req.complete || res.headersSent || socket.destroyed) continue;
      res.setHeader("connection", "close");
      sendJson(
        res,
        503,
        { error: "the server is shutting down before the request body arrived" },
        requestIdOf(res.req.headers),
      );
      res.req.socket.destroySoon();
    }
  }

  /** Drops every connection now (the second signal). */
  forceClose(): void {
    this.#state = "closed";
    this.server.closeAllConnections();
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.#state !== "serving") {
      res.setHeader("connection", "close");
      sendJson(res, 503, { error: "the server is shutting down" }, requestIdOf(req.headers));
      return;
    }
    this.#active++;
    (req.socket as AnsweringSocket)[answerOf] = res;
    res.on("close", this.#onClose);
    const url = req.url ?? "/";
    if (!this.#needsRouter(url)) {
      this.#defaultGraph(req, res);
      return;
    }
    const model = req.method === "POST" ? inferModelOf(url) : undefined;
    if (model !== undefined) this.#infer(req, res, { model });
    else {
      // Every answer carries x-request-id; graph calls set their own (the hot paths skip this).
      res.setHeader("x-request-id", requestIdOf(req.headers));
      this.#router.lookup(req, res);
    }
  }

  #finished(): void {
    if (--this.#active === 0 && this.#state !== "serving") {
      this.server.closeIdleConnections();
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  #on(method: "GET" | "POST" | "ALL", paths: string[], handler: Handler): void {
    for (const path of paths) {
      if (method === "ALL") this.#router.all(path, handler as never);
      else {
        this.#router.on(method, path, handler as never);
        // HEAD answers like GET (node:http sends no body); other methods: see #refusedMethod.
        if (method === "GET") this.#router.on("HEAD", path, handler as never);
      }
      this.#routed.add(firstSegment(path));
    }
  }

  /**
   * A method an OIP path does not define is answered 405 with `Allow`, found when the request
   * misses: registering a 405 route for each of node:http's 34 methods on every path cost a
   * start-up ~5% of its CPU (the router rebuilds a tree per method).
   */
  #refusedMethod(req: IncomingMessage, res: ServerResponse): boolean {
    const path = pathOf(req);
    const allowed = (method: HTTPMethod) => {
      const found = this.#router.find(method, path);
      return found !== null && found.handler !== (this.#protocolNotFound as never);
    };
    const allow = allowed("GET") ? "GET, HEAD" : allowed("POST") ? "POST" : undefined;
    if (allow === undefined) return false;
    methodNotAllowed(req, res, allow);
    return true;
  }

  /**
   * Any path outside the registered routes' first segments is the default graph's: the router
   * would send it there too, after a lookup that costs ~2% of a small request.
   */
  #needsRouter(url: string): boolean {
    if (url.charCodeAt(0) !== 47) return true; // an absolute URL: the router reads it
    for (const prefix of this.#routed) if (url.startsWith(prefix)) return true;
    return false;
  }

  #routes(): void {
    this.#on("GET", ["/v2/health/live"], (_req, res) => sendJson(res, 200, { live: true }));
    this.#on("GET", ["/v2/health/ready"], (_req, res) =>
      this.registry.ready && (this.options.ready?.() ?? true)
        ? sendJson(res, 200, { ready: true })
        : sendJson(res, 503, { ready: false }),
    );
    const { repository } = this.options;
    // model_repository only when /v2/repository/* is served (sluice serve --model-repository).
    const extensions = repository ? ["binary_tensor_data", "model_repository"] : ["binary_tensor_data"];
    this.#on("GET", ["/v2"], (_req, res) =>
      sendJson(res, 200, { name: "sluice", version: this.options.version, extensions }),
    );
    if (repository) {
      const handlers = repositoryHandlers(this.registry, {
        ...repository,
        generationGraceMs: this.options.timeoutMs,
        bodyLimit: this.options.bodyLimit,
      });
      this.#on("POST", ["/v2/repository/index"], handlers.index);
      this.#on("POST", ["/v2/repository/models/:model/load"], handlers.load);
      this.#on("POST", ["/v2/repository/models/:model/unload"], handlers.unload);
    }
    this.#on("GET", ["/v2/models"], (_req, res) =>
      sendJson(res, 200, { models: [...this.registry.models.keys()] }),
    );
    const model = ["/v2/models/:model", "/v2/models/:model/versions/:version"];
    this.#on("GET", model, (req, res, p) => this.#modelMetadata(req, res, p));
    this.#on(
      "GET",
      model.map((m) => `${m}/ready`),
      (req, res, p) => this.#modelReady(req, res, p),
    );
    this.#on(
      "POST",
      model.flatMap((m) => [`${m}/infer`, `${m}/explain`]),
      (req, res, p) => this.#infer(req, res, p),
    );
    // Text generation (specs/generate_rest.yaml): JSON, and server-sent events.
    for (const [op, stream] of [
      ["generate", false],
      ["generate_stream", true],
    ] as const) {
      this.#on(
        "POST",
        model.map((m) => `${m}/${op}`),
        (req, res, p) => {
          const served = this.#servedModel(res, p);
          if (served) this.#generator.handle(req, res, served, stream);
          else req.resume();
        },
      );
    }
    const named: Handler = (req, res, p) => {
      const graph = this.registry.get(p.graph ?? "");
      if (!graph) {
        sendError(
          res,
          new SluiceError(
            "SLUICE_ERR_ROUTE_NOT_FOUND",
            `no graph named "${p.graph}"; served: ${this.registry.names.join(", ")}`,
          ),
        );
        return;
      }
      this.#graphRequest(req, res, graph, `/${p["*"] ?? ""}`);
    };
    // `/graphs/<name>` and `/graphs/<name>/` (the router drops a trailing slash) are its root.
    this.#on("ALL", ["/graphs/:graph", "/graphs/:graph/*"], named);
    // Every other /v2/... path is the protocol's namespace, never the default graph's: a
    // repository call, a typo or a path with `//` or `..` is a 404, not a graph run.
    this.#on("ALL", ["/v2/*"], this.#protocolNotFound);
  }

  readonly #protocolNotFound: Handler = (req, res) => {
    if (this.#refusedMethod(req, res)) return;
    req.resume();
    sendError(
      res,
      new SluiceError("SLUICE_ERR_ROUTE_NOT_FOUND", `no Open Inference Protocol endpoint at ${pathOf(req)}`),
      requestIdOf(req.headers),
    );
  };

  #servedModel(res: ServerResponse, p: Record<string, string | undefined>) {
    const name = p.model ?? "";
    const served = this.registry.model(name, p.version);
    if (!served) {
      if (!res.hasHeader("x-request-id")) res.setHeader("x-request-id", requestIdOf(res.req.headers));
      sendError(res, modelNotFound(this.registry, name, p.version));
    }
    return served;
  }

  #modelMetadata(req: IncomingMessage, res: ServerResponse, p: Record<string, string | undefined>): void {
    const served = this.#servedModel(res, p);
    if (!served) return;
    // metadata() is user code: whatever it throws, or returns that JSON cannot hold, is this
    // request's 500, never the process's uncaught exception. (sendJson serialises before writing.)
    try {
      sendJson(res, 200, withLoadState(served.model.metadata(), served.model));
    } catch (error) {
      const { key } = served.model;
      this.options.logger.error(
        { err: error, graph: served.graph.name, model: key },
        "model metadata failed",
      );
      const why = error instanceof Error ? error.message : String(error);
      sendError(
        res,
        new SluiceError("SLUICE_ERR_STEP_FAILED", `model "${key}" could not describe itself: ${why}`),
        requestIdOf(req.headers),
      );
    }
  }

  #modelReady(_req: IncomingMessage, res: ServerResponse, p: Record<string, string | undefined>): void {
    const served = this.#servedModel(res, p);
    if (!served) return;
    const { ready } = served.model;
    const reason = ready ? undefined : reasonOf(served.model);
    sendJson(
      res,
      ready ? 200 : 503,
      reason ? { name: served.model.name, ready, reason } : { name: served.model.name, ready },
    );
  }

  #infer(req: IncomingMessage, res: ServerResponse, p: Record<string, string | undefined>): void {
    const served = this.#servedModel(res, p);
    if (!served) return;
    const headerLength = req.headers[INFERENCE_HEADER_CONTENT_LENGTH];
    const collected = (error: Error | undefined, raw: Buffer) => {
      let body: InferRequest;
      let binary: ReturnType<typeof binaryOutputsFor> | undefined;
      try {
        if (error) throw error;
        if (headerLength !== undefined) {
          if (typeof headerLength !== "string" || !/^\d{1,10}$/.test(headerLength)) {
            throw new SluiceError(
              "SLUICE_ERR_INPUT",
              `Inference-Header-Content-Length must be a decimal number of bytes, got "${headerLength}"`,
            );
          }
          body = decodeBinaryRequest(raw, Number(headerLength));
          binary = binaryOutputsFor(body);
        } else {
          const type = req.headers["content-type"];
          if (type !== undefined && !isJsonType(type)) {
            throw new SluiceError(
              "SLUICE_ERR_INPUT",
              `infer takes application/json (or the binary tensor extension), not ${type}`,
              { status: 415 },
            );
          }
          // Validated here, before any step: a caller's mistake is a 400 quoting what they sent,
          // never a pre-processing step's 500. The model step does not check it again.
          body = parseInferRequest(parseJsonBody(raw));
        }
        checkDeclaredInputs(body, declaredInputsFor(served.model), served.model.key);
      } catch (refused) {
        if (statusOf(refused) < 500) this.#caller.refused(served.graph);
        this.#refuse(req, res, refused);
        return;
      }
      if (!served.model.ready) {
        sendError(res, served.model.notReadyError(), requestIdOf(req.headers));
        return;
      }
      this.#caller.call(
        req,
        res,
        served.graph,
        pathOf(req),
        body,
        binary,
        headerLength === undefined ? raw : undefined,
      );
    };
    // A binary body is joined with its tensors aligned for typed arrays (an unreadable
    // header length aligns nothing: the request is refused once read).
    if (headerLength === undefined) collectBody(req, this.options.bodyLimit, collected);
    else collectBody(req, this.options.bodyLimit, collected, alignmentOf(headerLength));
  }

  #defaultGraph(req: IncomingMessage, res: ServerResponse): void {
    const graph = this.registry.defaultGraph;
    if (!graph) {
      sendError(res, new SluiceError("SLUICE_ERR_ROUTE_NOT_FOUND", "no graph is served"));
      return;
    }
    this.#graphRequest(req, res, graph, pathOf(req));
  }

  #graphRequest(req: IncomingMessage, res: ServerResponse, graph: CompiledGraph, path: string): void {
    collectBody(req, this.options.bodyLimit, (error, raw) => {
      let body: unknown;
      let json = false;
      try {
        if (error) throw error;
        const type = req.headers["content-type"];
        // JSON is parsed, unless no step reads it before a remote step sends it on; any other
        // content type reaches the graph as raw bytes.
        json = isJsonType(type) || (type === undefined && raw.length > 0);
        body = json
          ? graph.takesBytes
            ? jsonBytesOf(raw, type)
            : parseJsonBody(raw)
          : raw.length
            ? raw
            : undefined;
      } catch (refused) {
        this.#refuse(req, res, refused);
        return;
      }
      this.#caller.call(req, res, graph, path, body, undefined, json ? raw : undefined);
    });
  }

  /** A request refused before entering a graph: 4xx, and the connection closes on 413. */
  #refuse(req: IncomingMessage, res: ServerResponse, error: unknown): void {
    if (statusOf(error) === 413) res.setHeader("connection", "close");
    sendError(res, error, requestIdOf(req.headers));
  }
}

/** The answer for a model the gateway does not serve: 404, naming the models it does. */
export function modelNotFound(
  registry: GraphRegistry,
  name: string,
  version: string | undefined,
): SluiceError {
  const wanted = version === undefined ? name : `${name}:${version}`;
  const known = [...registry.models.keys()].join(", ") || "none";
  return new SluiceError("SLUICE_ERR_MODEL_NOT_FOUND", `model "${wanted}" not found; known models: ${known}`);
}

/** What each model declares as inputs, read once per model (metadata() is user code, and static). */
const declaredByModel = new WeakMap<object, TensorMetadata[]>();

/** The inputs a model declares (see `checkDeclaredInputs`), for every transport's infer. */
export function declaredInputsFor(model: { metadata(): { inputs?: unknown } }): TensorMetadata[] {
  let declared = declaredByModel.get(model);
  if (declared === undefined) {
    declared = declaredInputsOf(() => model.metadata());
    declaredByModel.set(model, declared);
  }
  return declared;
}

/**
 * A model that is not ready says so in its metadata's `properties` (the OIP's free string map):
 * `state` loading, failed, unloading or unloaded, and for a failed load or an unload its
 * `reason`. A ready model's metadata is its own, untouched.
 */
export function withLoadState(metadata: ModelMetadata, model: ModelRunner): ModelMetadata {
  if (model.ready) return metadata;
  const state: Record<string, string> =
    model.state === "LOADING"
      ? { state: "loading" }
      : model.state === "UNLOADING"
        ? { state: "unloading" }
        : { state: model.loadError ? "failed" : "unloaded", reason: model.reason };
  return { ...metadata, properties: { ...metadata.properties, ...state } };
}

/** Why a model is not ready, for `/v2/models/<m>/ready`. */
function reasonOf(model: ModelRunner): string {
  if (model.state === "LOADING") return "still loading";
  if (model.state === "UNLOADING") return "unloading";
  return model.reason;
}

/** Node's own refusals (bad request line, headers too large, too slow), with the `{error}` body. */
const clientErrors: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, "the request's headers are too large"],
  ERR_HTTP_REQUEST_TIMEOUT: [408, "the request took too long to arrive"],
  ERR_HTTP_HEADERS_TIMEOUT: [408, "the request's headers took too long to arrive"],
};

function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || error.code === "ECONNRESET") {
    socket.destroy();
    return;
  }
  const [status, message] = clientErrors[error.code ?? ""] ?? [
    400,
    `the request is not valid HTTP (${error.code ?? error.message})`,
  ];
  const body = JSON.stringify({ error: message });
  const reason =
    status === 431 ? "Request Header Fields Too Large" : status === 408 ? "Request Timeout" : "Bad Request";
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${newRequestId()}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** 405 with `Allow`, for a method an OIP path does not define. */
function methodNotAllowed(req: IncomingMessage, res: ServerResponse, allow: string): void {
  req.resume(); // a body nobody will read must not stall the connection
  res.setHeader("allow", allow);
  sendError(
    res,
    new SluiceError(
      "SLUICE_ERR_USAGE",
      `${req.method} is not allowed on ${pathOf(req)} (allowed: ${allow})`,
      {
        status: 405,
      },
    ),
    requestIdOf(req.headers),
  );
}

/** The body offset a binary request's tensors start at (its JSON header's length), if readable. */
function alignmentOf(headerLength: string | string[]): number | undefined {
  const offset = typeof headerLength === "string" ? Number(headerLength) : Number.NaN;
  return Number.isSafeInteger(offset) && offset >= 0 ? offset : undefined;
}

function firstSegment(path: string): string {
  const slash = path.indexOf("/", 1);
  return slash === -1 ? path : path.slice(0, slash);
}

/**
 * The model of a plain `POST /v2/models/<name>/infer`, the OIP's hot call, read without the
 * router; undefined for anything else (versions, encoded names, a query), which the router reads.
 */
function inferModelOf(url: string): string | undefined {
  if (!url.startsWith("/v2/models/") || !url.endsWith("/infer")) return undefined;
  const name = url.slice(11, -6);
  const plain = name.length > 0 && !name.includes("/") && !name.includes("%");
  return plain ? name : undefined;
}

/** The request's path, without its query string. */
function pathOf(req: IncomingMessage): string {
  const url = req.url ?? "/";
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}
