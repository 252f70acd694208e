import type { Logger } from "../../graph/index.js";
import type { NuclioLogger } from "./nuclio-api.js";

type Level = "debug" | "info" | "warn" | "error";

/**
 * sluice's Logger (what steps get as `ctx.logger`) writing through Nuclio's `context.logger`,
 * so a function's logs reach the processor's log like any Nuclio function's. Errors become
 * their message and code (JSON would make them `{}`); `child` adds bindings, as pino's does.
 */
export function nuclioLogger(
  target: NuclioLogger,
  bindings: Record<string, unknown> = {},
): Logger & {
  child(extra: Record<string, unknown>): Logger;
} {
  const at = (level: Level) => {
    const write = target[`${level}With`] ?? target[level];
    return (obj: unknown, msg?: string): void => {
      if (typeof obj === "string") write.call(target, obj, { ...bindings });
      else write.call(target, msg ?? "", { ...bindings, ...plain(obj) });
    };
  };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (extra) => nuclioLogger(target, { ...bindings, ...extra }),
  };
}

function plain(obj: unknown): Record<string, unknown> {
  if (obj instanceof Error) return { err: errorFields(obj) };
  if (obj === null || typeof obj !== "object") return obj === undefined ? {} : { value: obj };
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj))
    out[key] = value instanceof Error ? errorFields(value) : value;
  return out;
}

function errorFields(error: Error): Record<string, unknown> {
  const code = (error as { code?: unknown }).code;
  return { message: error.message, ...(code === undefined ? {} : { code }) };
}
