import type { IncomingMessage, ServerResponse } from "node:http";
import { SluiceError } from "../errors.js";
import type { ModelRunner } from "../graph/index.js";
import { bearerCheck } from "./http/bearer.js";
import { collectBody, parseJsonBody } from "./http/body.js";
import { sendError, sendJson } from "./http/respond.js";
import type { GraphRegistry } from "./registry.js";
import { requestIdOf } from "./request-context.js";

/** How `sluice serve --model-repository` serves the OIP model repository extension. */
export interface RepositoryOptions {
  /** When set, load and unload need `Authorization: Bearer <token>` (the admin token). */
  token?: string | undefined;
  /** Largest request body accepted, in bytes. */
  bodyLimit: number;
  /**
   * How long a load or unload waits for the model's generations in flight before it aborts
   * them (the request timeout, `--timeout`).
   */
  generationGraceMs?: number;
}

/** One entry of `POST /v2/repository/index`, as Triton's RepositoryIndex writes it. */
export interface RepositoryEntry {
  name: string;
  version?: string;
  state: string;
  reason: string;
}

type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  params: Record<string, string | undefined>,
) => void;

/**
 * The model repository extension (Triton's, which KServe and MLServer share) over the served
 * graphs' models: `index` lists each with its state and reason, `load` runs its `load()` again,
 * `unload` takes it out of service (infer and ready answer 503 until it is loaded again) and
 * runs its `unload()`. A name stands for every served version of that model.
 */
export function repositoryHandlers(
  registry: GraphRegistry,
  options: RepositoryOptions,
): { index: Handler; load: Handler; unload: Handler } {
  const refused = options.token === undefined ? undefined : bearerCheck(options.token);
  /** Reads the body (optional JSON), checks the token for changes, then answers. */
  const handler =
    (change: boolean, answer: (body: Record<string, unknown>, name: string) => Promise<unknown>): Handler =>
    (req, res, params) => {
      const requestId = requestIdOf(req.headers);
      collectBody(req, options.bodyLimit, (error, raw) => {
        const fail = (failure: unknown) => sendError(res, failure, requestId);
        if (error) return fail(error);
        const why = change ? refused?.(req.headers.authorization) : undefined;
        if (why !== undefined) {
          res.setHeader("www-authenticate", "Bearer");
          return fail(new SluiceError("SLUICE_ERR_UNAUTHORIZED", why));
        }
        let body: unknown;
        try {
          body = parseJsonBody(raw) ?? {};
          if (typeof body !== "object" || body === null || Array.isArray(body)) {
            throw new SluiceError("SLUICE_ERR_INPUT", "the request body must be a JSON object");
          }
        } catch (refusal) {
          return fail(refusal);
        }
        answer(body as Record<string, unknown>, params.model ?? "").then((value) => {
          if (value === undefined) {
            res.writeHead(200, { "content-length": 0, "x-request-id": requestId });
            res.end();
          } else sendJson(res, 200, value, requestId);
        }, fail);
      });
    };

  return {
    index: handler(false, async (body) => {
      const { ready } = body;
      if (ready !== undefined && typeof ready !== "boolean") {
        throw new SluiceError(
          "SLUICE_ERR_INPUT",
          `"ready" must be true or false, got ${JSON.stringify(ready)}`,
        );
      }
      return [...registry.models.values()]
        .filter(({ model }) => ready !== true || model.ready)
        .map(({ model }) => entryOf(model));
    }),
    load: handler(true, async (_body, name) => {
      for (const model of modelsNamed(registry, name)) {
        const error = await model.load(options.generationGraceMs);
        if (error) {
          throw new SluiceError(
            "SLUICE_ERR_MODEL_LOAD_FAILED",
            `model "${model.key}" failed to load: ${error.message}`,
          );
        }
      }
      return undefined;
    }),
    unload: handler(true, async (_body, name) => {
      for (const model of modelsNamed(registry, name)) await model.unload(options.generationGraceMs);
      return undefined;
    }),
  };
}

function entryOf(model: ModelRunner): RepositoryEntry {
  const entry: RepositoryEntry = { name: model.name, state: model.state, reason: model.reason };
  if (model.version !== undefined) entry.version = model.version;
  return entry;
}

/** Every served version of model `name` (or the one model keyed `name:version`). */
function modelsNamed(registry: GraphRegistry, name: string): ModelRunner[] {
  const models = [...registry.models.values()]
    .map((served) => served.model)
    .filter((model) => model.name === name || model.key === name);
  if (models.length > 0) return models;
  const known = [...registry.models.keys()].join(", ") || "none";
  throw new SluiceError("SLUICE_ERR_MODEL_NOT_FOUND", `model "${name}" not found; known models: ${known}`);
}
