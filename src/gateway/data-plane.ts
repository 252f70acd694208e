import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, Server as NetServer } from "node:net";
import FindMyWay, { type HTTPVersion } from "find-my-way";
import { SluiceError } from "../errors.js";
import type { CompiledGraph, GraphEvent, Logger } from "../graph/index.js";
import {
  binaryOutputsFor,
  decodeBinaryRequest,
  encodeBinaryResponse,
  INFERENCE_HEADER_CONTENT_LENGTH,
  type InferRequest,
  type InferResponse,
} from "../graph/oip/index.js";
import { isJsonType, parseJsonBody, readBody } from "./http/body.js";
import { sendError, sendJson, statusOf } from "./http/respond.js";
import type { GatewayMetrics } from "./metrics.js";
import type { GraphRegistry } from "./registry.js";
import { deadlineMsOf, requestIdOf, traceparentOf } from "./request-context.js";

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
}

type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  params: Record<string, string | undefined>,
) => void;

export type DataPlaneState = "serving" | "draining" | "closed";

/** Per-graph metric children, bound once so a request does no label lookups. */
interface GraphMeters {
  ok: { inc(): void };
  clientError: { inc(): void };
  error: { inc(): void };
  timeout: { inc(): void };
  latency: { observe(v: number): void };
  inFlight: { inc(): void; dec(): void };
}

/**
 * The HTTP data plane: plain `node:http` with a radix router (find-my-way). The Open
 * Inference Protocol endpoints are answered from the served models; every other path enters
 * the default graph (or `/graphs/<name>/...` a named one) as an event.
 */
export class DataPlane {
  readonly server: Server;
  #state: DataPlaneState = "serving";
  #active = 0;
  #idle: (() => void)[] = [];
  readonly #router;
  readonly #meters = new Map<string, GraphMeters>();
  /** One log line per request, only when the logger is at debug (decided once). */
  readonly #logRequests: boolean;

  constructor(
    readonly registry: GraphRegistry,
    readonly options: DataPlaneOptions,
  ) {
    this.#logRequests =
      (options.logger as { isLevelEnabled?: (l: string) => boolean }).isLevelEnabled?.("debug") ?? false;
    this.#router = FindMyWay<HTTPVersion.V1>({
      ignoreTrailingSlash: true,
      defaultRoute: (req, res) => this.#defaultGraph(req, res),
    });
    this.#routes();
    this.server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => this.#handle(req, res));
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
    }
    if (this.#active === 0) {
      this.server.closeIdleConnections();
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Drops every connection now (the second signal). */
  forceClose(): void {
    this.#state = "closed";
    this.server.closeAllConnections();
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.#state !== "serving") {
      res.setHeader("connection", "close");
      sendJson(res, 503, { error: "the server is shutting down" });
      return;
    }
    this.#active++;
    res.once("close", () => this.#finished());
    this.#router.lookup(req, res);
  }

  #finished(): void {
    if (--this.#active === 0 && this.#state !== "serving") {
      this.server.closeIdleConnections();
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  #on(method: "GET" | "POST", paths: string[], handler: Handler): void {
    for (const path of paths) this.#router.on(method, path, handler as never);
  }

  #routes(): void {
    this.#on("GET", ["/v2/health/live"], (_req, res) => sendJson(res, 200, { live: true }));
    this.#on("GET", ["/v2/health/ready"], (_req, res) =>
      this.registry.ready ? sendJson(res, 200, { ready: true }) : sendJson(res, 503, { ready: false }),
    );
    this.#on("GET", ["/v2"], (_req, res) =>
      sendJson(res, 200, {
        name: "sluice",
        version: this.options.version,
        extensions: ["binary_tensor_data", "model_repository"],
      }),
    );
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
      (req, res, p) => void this.#infer(req, res, p),
    );
    this.#router.all("/graphs/:graph/*", ((
      req: IncomingMessage,
      res: ServerResponse,
      p: Record<string, string>,
    ) => {
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
      void this.#graphRequest(req, res, graph, `/${p["*"] ?? ""}`);
    }) as never);
  }

  #servedModel(res: ServerResponse, p: Record<string, string | undefined>) {
    const name = p.model ?? "";
    const served = this.registry.model(name, p.version);
    if (!served) {
      const wanted = p.version === undefined ? name : `${name}:${p.version}`;
      const known = [...this.registry.models.keys()].join(", ") || "none";
      sendError(
        res,
        new SluiceError("SLUICE_ERR_MODEL_NOT_FOUND", `model "${wanted}" not found; known models: ${known}`),
      );
    }
    return served;
  }

  #modelMetadata(_req: IncomingMessage, res: ServerResponse, p: Record<string, string | undefined>): void {
    const served = this.#servedModel(res, p);
    if (served) sendJson(res, 200, served.model.metadata());
  }

  #modelReady(_req: IncomingMessage, res: ServerResponse, p: Record<string, string | undefined>): void {
    const served = this.#servedModel(res, p);
    if (!served) return;
    const ready = served.model.ready;
    sendJson(res, ready ? 200 : 503, { name: served.model.name, ready });
  }

  async #infer(
    req: IncomingMessage,
    res: ServerResponse,
    p: Record<string, string | undefined>,
  ): Promise<void> {
    const served = this.#servedModel(res, p);
    if (!served) return;
    const requestId = requestIdOf(req.headers);
    let request: InferRequest | undefined;
    let body: unknown;
    try {
      const raw = await readBody(req, this.options.bodyLimit);
      const headerLength = req.headers[INFERENCE_HEADER_CONTENT_LENGTH];
      if (headerLength !== undefined) {
        request = decodeBinaryRequest(raw, Number(headerLength));
        body = request;
      } else {
        const type = req.headers["content-type"];
        if (type !== undefined && !isJsonType(type)) {
          throw new SluiceError(
            "SLUICE_ERR_INPUT",
            `infer takes application/json (or the binary tensor extension), not ${type}`,
            {
              status: 415,
            },
          );
        }
        body = parseJsonBody(raw);
      }
    } catch (error) {
      this.#refuse(res, error, requestId);
      return;
    }
    if (!served.model.ready) {
      sendError(
        res,
        new SluiceError("SLUICE_ERR_MODEL_NOT_READY", `model "${served.model.key}" is not ready`),
        requestId,
      );
      return;
    }
    const path = (req.url ?? "/").split("?", 1)[0] as string;
    const binary = request ? binaryOutputsFor(request) : undefined;
    await this.#run(req, res, served.graph, path, body, requestId, binary);
  }

  #defaultGraph(req: IncomingMessage, res: ServerResponse): void {
    const graph = this.registry.defaultGraph;
    if (!graph) {
      sendError(res, new SluiceError("SLUICE_ERR_ROUTE_NOT_FOUND", "no graph is served"));
      return;
    }
    void this.#graphRequest(req, res, graph, (req.url ?? "/").split("?", 1)[0] as string);
  }

  async #graphRequest(
    req: IncomingMessage,
    res: ServerResponse,
    graph: CompiledGraph,
    path: string,
  ): Promise<void> {
    const requestId = requestIdOf(req.headers);
    let body: unknown;
    try {
      const raw = await readBody(req, this.options.bodyLimit);
      const type = req.headers["content-type"];
      // JSON is parsed; any other content type reaches the graph as raw bytes.
      body =
        isJsonType(type) || (type === undefined && raw.length > 0)
          ? parseJsonBody(raw)
          : raw.length
            ? raw
            : undefined;
    } catch (error) {
      this.#refuse(res, error, requestId);
      return;
    }
    await this.#run(req, res, graph, path, body, requestId, undefined);
  }

  /** A request refused before entering a graph: 4xx, and the connection closes on 413. */
  #refuse(res: ServerResponse, error: unknown, requestId: string): void {
    if (statusOf(error) === 413) res.setHeader("connection", "close");
    sendError(res, error, requestId);
  }

  #metersOf(graph: string): GraphMeters | undefined {
    const metrics = this.options.metrics;
    if (!metrics) return undefined;
    let meters = this.#meters.get(graph);
    if (!meters) {
      meters = {
        ok: metrics.requests.labels(graph, "ok"),
        clientError: metrics.requests.labels(graph, "client_error"),
        error: metrics.requests.labels(graph, "error"),
        timeout: metrics.requests.labels(graph, "timeout"),
        latency: metrics.latency.labels(graph),
        inFlight: metrics.inFlight.labels(graph),
      };
      this.#meters.set(graph, meters);
    }
    return meters;
  }

  async #run(
    req: IncomingMessage,
    res: ServerResponse,
    graph: CompiledGraph,
    path: string,
    body: unknown,
    requestId: string,
    binary: Set<string> | "all" | undefined,
  ): Promise<void> {
    const headers = req.headers as Record<string, string | undefined>;
    headers["x-request-id"] = requestId;
    headers.traceparent = traceparentOf(req.headers);
    const deadlineMs = deadlineMsOf(req.headers, this.options.timeoutMs, this.options.maxTimeoutMs);
    const started = performance.now();
    const event: GraphEvent = {
      id: requestId,
      body,
      path,
      method: req.method ?? "GET",
      headers,
      key: undefined,
      time: Date.now(),
      trigger: { kind: "http" },
      deadline: Date.now() + deadlineMs,
    };
    const meters = this.#metersOf(graph.name);
    meters?.inFlight.inc();
    let answered = false;
    const timer = setTimeout(() => {
      answered = true;
      meters?.timeout.inc();
      sendError(
        res,
        new SluiceError("SLUICE_ERR_STEP_TIMEOUT", `the request's deadline of ${deadlineMs} ms passed`),
        requestId,
      );
    }, deadlineMs);
    try {
      const result = await this.registry.enter(graph, () => graph.run(event));
      if (answered) return;
      meters?.ok.inc();
      this.#respond(res, result, requestId, binary);
    } catch (error) {
      if (answered) return;
      const status = statusOf(error);
      (status < 500 ? meters?.clientError : meters?.error)?.inc();
      if (status >= 500)
        this.options.logger.warn({ err: error, graph: graph.name, requestId }, "request failed");
      sendError(res, error, requestId);
    } finally {
      answered = true;
      clearTimeout(timer);
      meters?.inFlight.dec();
      const seconds = (performance.now() - started) / 1000;
      meters?.latency.observe(seconds);
      if (this.#logRequests) {
        this.options.logger.debug(
          { requestId, graph: graph.name, path, status: res.statusCode, ms: seconds * 1000 },
          "request",
        );
      }
    }
  }

  #respond(
    res: ServerResponse,
    result: unknown,
    requestId: string,
    binary: Set<string> | "all" | undefined,
  ): void {
    if (this.#state !== "serving") res.setHeader("connection", "close");
    if (result === undefined) {
      // The graph dropped the event (a filter): nothing to say.
      res.writeHead(204, { "x-request-id": requestId });
      res.end();
    } else if (Buffer.isBuffer(result)) {
      res.writeHead(200, { "content-type": "application/octet-stream", "x-request-id": requestId });
      res.end(result);
    } else if (binary) {
      const { body, headerLength } = encodeBinaryResponse(result as InferResponse, binary);
      res.writeHead(200, {
        "content-type": "application/octet-stream",
        [INFERENCE_HEADER_CONTENT_LENGTH]: headerLength,
        "x-request-id": requestId,
      });
      res.end(body);
    } else {
      sendJson(res, 200, result, requestId);
    }
  }
}
