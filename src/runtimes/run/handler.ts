import { extname } from "node:path";
import { pathToFileURL } from "node:url";
import { SluiceError } from "../../errors.js";

/** What a handler receives beside its params (MLRun's context, the parts that apply here). */
export interface RunContext {
  uid: string;
  /** The function's name. */
  name: string;
  params: Record<string, unknown>;
  /** The function's environment (also set in process.env while the handler runs). */
  env: Record<string, string>;
  /** Records a result, as MLRun's `context.log_result(key, value)`. */
  logResult(key: string, value: unknown): void;
  /** Writes a line to stderr, so stdout stays the handler's own. */
  log(message: string): void;
}

/** A handler: `export function train(params, ctx) { return {accuracy: 0.9} }`, sync or async. */
export type Handler = (params: Record<string, unknown>, ctx: RunContext) => unknown;

const typescript = new Set([".ts", ".mts", ".cts"]);

/** The exported function `exportName` of a module file; TypeScript modules go through tsx. */
export async function loadHandler(file: string, exportName: string | undefined): Promise<Handler> {
  let exports: Record<string, unknown>;
  try {
    const url = pathToFileURL(file).href;
    exports = typescript.has(extname(file))
      ? ((await (await import("tsx/esm/api")).tsImport(url, import.meta.url)) as Record<string, unknown>)
      : ((await import(url)) as Record<string, unknown>);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new SluiceError("SLUICE_ERR_FUNCTION_INVALID", `module ${file} failed to load: ${reason}`, {
      cause: error,
    });
  }
  // Without default_handler, an export named `handler` (MLRun's default), else the default export.
  const name = exportName ?? ("handler" in exports ? "handler" : "default");
  const handler = exports[name];
  if (typeof handler !== "function") {
    const functions = Object.keys(exports)
      .filter((k) => typeof exports[k] === "function")
      .sort();
    throw new SluiceError(
      "SLUICE_ERR_FUNCTION_INVALID",
      `module ${file} has no exported function "${name}" (functions it exports: ${functions.join(", ") || "none"})`,
      { hint: "set spec.default_handler to the export to call" },
    );
  }
  return handler as Handler;
}

/**
 * Calls a handler with its params and a context; resolves to its results: what it logged
 * with `ctx.logResult`, plus what it returned (an object's fields, or `{return: value}`).
 * The function's env is set in process.env for the call and restored afterwards.
 */
export async function callHandler(
  handler: Handler,
  ctx: Omit<RunContext, "logResult">,
): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {};
  const context: RunContext = {
    ...ctx,
    logResult(key, value) {
      results[key] = value;
    },
  };
  const saved = new Map(Object.keys(ctx.env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, ctx.env);
  try {
    const value = await handler(ctx.params, context);
    if (value !== null && typeof value === "object" && !Array.isArray(value)) Object.assign(results, value);
    else if (value !== undefined) results.return = value;
  } finally {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  // A run record is JSON: whatever does not survive JSON is better dropped here than at storage.
  return JSON.parse(JSON.stringify(results)) as Record<string, unknown>;
}
