import { access } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import express, { type NextFunction, type Request, type RequestHandler, type Response } from "express";
import { isSluiceError, SluiceError } from "../../errors.js";
import { formatProblem, GraphInvalidError, type Logger } from "../../graph/index.js";
import { bearerCheck } from "../http/bearer.js";
import { StatsWindow, snapshotOf, uiPage } from "../ui/index.js";
import type { GraphControl, GraphFormat } from "./control.js";

export interface AdminOptions {
  control: GraphControl;
  /** When set, changes (POST) need `Authorization: Bearer <token>`; reads stay open. */
  token?: string | undefined;
  logger: Logger;
  /** The function store `GET /api/functions` lists (default: $SLUICE_STORE, else $SLUICE_HOME/functions.db). */
  store?: string | undefined;
}

/** Posted graph documents larger than this are refused with 413. */
const bodyLimit = { bytes: 1024 * 1024, words: "1 MiB" };

// A Map, not an object literal: a content type such as "constructor" must not find a prototype member.
const formats = new Map<string, GraphFormat>([
  ["application/yaml", "yaml"],
  ["application/x-yaml", "yaml"],
  ["text/yaml", "yaml"],
  ["application/json", "json"],
]);

/** Only what the page itself holds: no script, style or image from anywhere else. */
const uiPolicy =
  "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:";

/**
 * The admin plane of `sluice serve` (DESIGN.md section 5): metrics, the served graphs, and
 * loading or replacing a graph without a restart, the function store's listing, and `/ui`,
 * a page drawing each graph with live figures. Every error answers `{error}`, never a stack.
 */
export function createAdminApp(options: AdminOptions): express.Express {
  const { control, logger } = options;
  const app = express();
  app.disable("x-powered-by");
  // Without a token, the loopback address is the only protection: a page whose name was
  // rebound to 127.0.0.1 (DNS rebinding) must not reach it, so only loopback Host names pass.
  if (!options.token) app.use(loopbackHostOnly);
  app.use(logChanges(logger));

  app.get("/metrics", async (_req, res) => {
    const { contentType, text } = await control.metrics();
    res.type(contentType).send(text);
  });

  app
    .route("/api/graphs")
    .get(async (_req, res) => {
      res.json(await control.list());
    })
    .post(
      requireToken(options.token),
      pickFormat,
      express.text({ type: () => true, limit: bodyLimit.bytes }),
      async (req, res) => {
        const text: unknown = req.body;
        if (typeof text !== "string" || text.trim() === "") {
          throw new SluiceError("SLUICE_ERR_INPUT", "the request body is empty: send the graph document");
        }
        const { name, replaced } = await control.put(text, res.locals.format as GraphFormat);
        res.locals.graph = name;
        res.status(replaced ? 200 : 201).json({ name, replaced });
      },
    )
    .all(methodNotAllowed("GET, POST"));

  app
    .route("/api/graphs/:name")
    .get(async (req, res) => {
      const described = await control.describe(req.params.name);
      if (described) res.json(described);
      else await unknownGraph(control, req.params.name, res);
    })
    .all(methodNotAllowed("GET"));

  app
    .route("/api/graphs/:name/svg")
    .get(async (req, res) => {
      const svg = await control.drawing(req.params.name);
      if (svg !== undefined) res.type("image/svg+xml").send(svg);
      else await unknownGraph(control, req.params.name, res);
    })
    .all(methodNotAllowed("GET"));

  // One window for every viewer: each poll is compared with the snapshot of about 5 s before.
  const recent = new StatsWindow();
  app
    .route("/api/stats")
    .get(async (_req, res) => {
      res.json(recent.next(snapshotOf(await control.metricsJson())));
    })
    .all(methodNotAllowed("GET"));

  app
    .route("/api/functions")
    .get(async (req, res) => {
      const { project, name } = req.query;
      const filter = {
        ...(typeof project === "string" && project ? { project } : {}),
        ...(typeof name === "string" && name ? { name } : {}),
      };
      res.json(await listFunctions(options.store, filter));
    })
    .all(methodNotAllowed("GET"));

  app
    .route("/ui")
    .get((_req, res) => {
      res.type("html").set({ "Cache-Control": "no-store", "Content-Security-Policy": uiPolicy }).send(uiPage);
    })
    .all(methodNotAllowed("GET"));

  app.use((req, res) => {
    res.status(404).json({ error: `no route ${req.method} ${req.path}` });
  });
  app.use(errorResponder(logger));
  return app;
}

async function unknownGraph(control: GraphControl, name: string, res: Response): Promise<void> {
  const known = (await control.list()).map((g) => g.name);
  const listing = known.length > 0 ? `known graphs: ${known.join(", ")}` : "no graph is served";
  res.status(404).json({ error: `no graph named "${name}" (${listing})` });
}

/**
 * Every stored function version, as `sluice functions list -o json` prints them. The store
 * (SQLite) is loaded on the first call only, and a store that does not exist yet is an empty
 * list: a read must not create the file.
 */
async function listFunctions(file: string | undefined, filter: { project?: string; name?: string }) {
  const { FunctionStore, storePath } = await import("../../runtimes/index.js");
  const path = storePath(file);
  if (path === ":memory:" || !(await exists(path))) return [];
  const store = FunctionStore.open(path);
  try {
    return store.list(filter);
  } finally {
    store.close();
  }
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** One info line per change request (whatever its outcome); reads are not logged. */
function logChanges(logger: Logger): RequestHandler {
  return (req, res, next) => {
    if (req.method === "GET" || req.method === "HEAD") return next();
    const started = performance.now();
    res.on("finish", () => {
      const { graph, error } = res.locals as { graph?: string; error?: string };
      const ms = Math.round(performance.now() - started);
      logger.info(
        { method: req.method, path: req.path, status: res.statusCode, graph, error, ms },
        "admin request",
      );
    });
    next();
  };
}

/** The admin token's check, for changes (see bearerCheck). */
function requireToken(token: string | undefined): RequestHandler {
  if (!token) return (_req, _res, next) => next();
  const refused = bearerCheck(token);
  return (req, res, next) => {
    const error = refused(req.get("authorization"));
    if (error === undefined) return next();
    res.locals.error = error;
    res.status(401).set("WWW-Authenticate", "Bearer").json({ error });
  };
}

/** The host name of a Host header: `[::1]:8081` is `::1`, `localhost:8081` is `localhost`. */
function hostNameOf(host: string): string {
  if (host.startsWith("[")) return host.slice(1, host.indexOf("]"));
  const colon = host.lastIndexOf(":");
  return (colon === -1 ? host : host.slice(0, colon)).toLowerCase();
}

function loopbackHostOnly(req: Request, res: Response, next: NextFunction): void {
  const host = req.get("host") ?? "";
  const name = hostNameOf(host);
  if (name === "localhost" || name === "::1" || /^127\.\d+\.\d+\.\d+$/.test(name)) {
    next();
    return;
  }
  const error = `Host "${host}" is not a loopback name: without --admin-token the admin plane answers only localhost, 127.0.0.1 and [::1]`;
  res.locals.error = error;
  res.status(403).json({ error });
}

/** Chooses the parser from Content-Type before the body is read; anything else is 415. */
function pickFormat(req: Request, res: Response, next: NextFunction): void {
  const type = (req.get("content-type") ?? "").split(";", 1)[0]?.trim().toLowerCase() ?? "";
  const format = formats.get(type);
  if (format) {
    res.locals.format = format;
    next();
    return;
  }
  const error = `${type ? `content type "${type}"` : "a body without a content type"} is not supported: send the graph as application/yaml or application/json`;
  res.locals.error = error;
  res.status(415).json({ error });
}

function methodNotAllowed(allow: string): RequestHandler {
  return (req, res) => {
    res
      .status(405)
      .set("Allow", allow)
      .json({ error: `${req.method} is not allowed on ${req.path} (allowed: ${allow})` });
  };
}

/** Turns what a handler threw into a status and `{error}`; only unexpected failures are 500. */
function errorResponder(logger: Logger) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const { status, body } = errorBody(error);
    if (status >= 500)
      logger.error({ err: error, method: req.method, path: req.path }, "admin request failed");
    res.locals.error = body.error;
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(status).json(body);
  };
}

function errorBody(error: unknown): { status: number; body: { error: string; problems?: string[] } } {
  if (error instanceof GraphInvalidError) {
    return { status: 400, body: { error: error.message, problems: error.problems.map(formatProblem) } };
  }
  if (isSluiceError(error)) {
    // The registry refuses a graph whose model another graph serves: a conflict with what is served.
    const clash = error.code === "SLUICE_ERR_GRAPH_INVALID" && error.message.includes("is served by both");
    return { status: clash ? 409 : error.status, body: { error: error.message } };
  }
  // body-parser and express's router give the errors a caller caused (an unreadable body, a
  // badly escaped path) a 4xx status; their messages describe the request, not our internals.
  const { status, type, message } = (error ?? {}) as { status?: unknown; type?: unknown; message?: unknown };
  if (typeof status === "number" && status >= 400 && status < 500) {
    const tooLarge = type === "entity.too.large";
    const text = tooLarge ? `the graph document is larger than ${bodyLimit.words}` : String(message);
    return { status, body: { error: text } };
  }
  return { status: 500, body: { error: "internal error in the admin plane (see the gateway's log)" } };
}
