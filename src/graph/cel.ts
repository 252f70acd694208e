/**
 * CEL expressions over an event (`body`, `headers`, `path`), as used by `when` in switch routers
 * and by the `map` and `filter` built-in steps. An expression is parsed, checked and planned
 * once; each evaluation only wraps the event and runs the plan.
 *
 * JSON numbers stay CEL doubles (as in the JSON mapping of google.protobuf.Value). cel-es already
 * compares int with double (`body.amount > 100` works); on top of the standard library we add
 * mixed int/double `+ - * /` that yield a double, so `body.amount * 2` works too.
 *
 * The engine (@bufbuild/cel with protobuf and re2, ~8 MB of `sluice serve`'s RSS) lives in cel-engine.ts and
 * is imported only by `loadCel()`: the graph loader awaits it for documents that hold CEL, so
 * a process whose graphs have none never loads it. `compileCel` stays synchronous.
 */
import { SluiceError } from "../errors.js";
import { lazyModule } from "../lazy-module.js";

/** What an expression sees. Undefined header values count as absent. */
export interface CelVars {
  body: unknown;
  headers: Record<string, string | undefined>;
  path: string;
}

/** A compiled expression: evaluates against one event's variables and returns plain JSON. */
export type CelProgram = (vars: CelVars) => unknown;

/** The expression does not parse, or names a variable or function that does not exist. */
export class CelSyntaxError extends SluiceError {
  readonly source: string;
  readonly reason: string;
  constructor(source: string, message: string) {
    super("SLUICE_ERR_GRAPH_INVALID", `invalid CEL ${quote(source)}: ${message}`);
    this.name = "CelSyntaxError";
    this.source = source;
    this.reason = message;
  }
}

/**
 * Evaluation failed for one event: `reason` is e.g. `no such key: x` or `found no matching
 * overload for '_+_' applied to '(string, int)'`; `where` is like ` at column 5`, or "".
 */
export class CelEvalError extends SluiceError {
  readonly source: string;
  readonly reason: string;
  constructor(source: string, reason: string, where = "") {
    super("SLUICE_ERR_STEP_FAILED", `CEL ${quote(source)} failed${where}: ${reason}`);
    this.name = "CelEvalError";
    this.source = source;
    this.reason = reason;
  }
}

/** How `when` and `filter` read a result: only `true` is true (no JavaScript truthiness). */
export function celTruthy(value: unknown): boolean {
  return value === true;
}

const engine = lazyModule("the CEL engine", () => import("./cel-engine.js"));

/** Imports the CEL engine; `compileCel` works once this has resolved. */
export async function loadCel(): Promise<void> {
  await engine.load();
}

/**
 * Parses and checks `source` once; throws CelSyntaxError for a syntax error, an unknown
 * variable (only `body`, `headers` and `path` exist) or an unknown function. Needs `loadCel()`
 * first (the graph loader does that for every document with CEL expressions).
 */
export function compileCel(source: string): CelProgram {
  return engine.get().compileCel(source);
}

function quote(source: string): string {
  const line = source.replace(/\s+/g, " ").trim();
  return `"${line.length > 120 ? `${line.slice(0, 117)}...` : line}"`;
}
