/**
 * The CEL engine behind cel.ts, on @bufbuild/cel: imported only through `loadCel()`, so that
 * graphs without CEL expressions never load it (see cel.ts for what expressions see).
 */
import {
  type CelInput,
  CelScalar,
  type CelValue,
  celEnv,
  celFunc,
  celList,
  celMap,
  isCelError,
  isCelList,
  isCelMap,
  isCelType,
  isCelUint,
  parse,
  plan,
} from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import { CelEvalError, type CelProgram, CelSyntaxError } from "./cel.js";

const { INT, DOUBLE } = CelScalar;
const VARIABLES = new Set(["body", "headers", "path"]);
// Type names are identifiers too: `type(body.x) == string`.
const TYPE_NAMES = new Set([
  "int",
  "uint",
  "double",
  "bool",
  "string",
  "bytes",
  "list",
  "map",
  "null_type",
  "type",
]);
// Calls the planner handles itself rather than through the function table.
const OPERATORS = new Set(["_[_]", "_[?_]", "_?._", "_?_:_", "_&&_", "_||_", "@not_strictly_false"]);
const MACROS = new Set(["has", "all", "exists", "exists_one", "map", "filter"]);

const env = celEnv({
  funcs: [
    ...strings,
    celFunc("_+_", [DOUBLE, INT], DOUBLE, (a, b) => a + Number(b)),
    celFunc("_+_", [INT, DOUBLE], DOUBLE, (a, b) => Number(a) + b),
    celFunc("_-_", [DOUBLE, INT], DOUBLE, (a, b) => a - Number(b)),
    celFunc("_-_", [INT, DOUBLE], DOUBLE, (a, b) => Number(a) - b),
    celFunc("_*_", [DOUBLE, INT], DOUBLE, (a, b) => a * Number(b)),
    celFunc("_*_", [INT, DOUBLE], DOUBLE, (a, b) => Number(a) * b),
    celFunc("_/_", [DOUBLE, INT], DOUBLE, (a, b) => a / Number(b)),
    celFunc("_/_", [INT, DOUBLE], DOUBLE, (a, b) => Number(a) / b),
  ],
});

type Parsed = ReturnType<typeof parse>;
type Expr = Parsed["expr"];

/**
 * Parses and checks `source` once; throws CelSyntaxError for a syntax error, an unknown
 * variable (only `body`, `headers` and `path` exist) or an unknown function.
 */
export function compileCel(source: string): CelProgram {
  let parsed: Parsed;
  try {
    parsed = parse(source);
  } catch (error) {
    throw syntaxError(source, error);
  }
  const positions = parsed.sourceInfo?.positions ?? {};
  const fail = (id: bigint, message: string): never => {
    throw new CelSyntaxError(source, `${message}${at(source, positions[String(id)])}`);
  };
  prepare(parsed.expr, [], fail);
  let planned: ReturnType<typeof plan>;
  try {
    planned = plan(env, parsed);
  } catch (error) {
    throw syntaxError(source, error);
  }
  return (vars) => {
    const result = planned({
      body: toCelInput(vars.body),
      headers: celMap(new ObjectView(vars.headers)),
      path: vars.path,
    });
    if (isCelError(result)) {
      const offset = result.exprId === undefined ? undefined : positions[String(result.exprId)];
      throw new CelEvalError(source, reasonOf(result.message), at(source, offset));
    }
    return fromCel(result, source);
  };
}

function syntaxError(source: string, error: unknown): CelSyntaxError {
  if (error instanceof CelSyntaxError) return error;
  const e = error as { rawMessage?: unknown; message?: unknown; location?: { start?: { offset?: number } } };
  const message = typeof e.rawMessage === "string" ? e.rawMessage : String(e.message ?? error);
  const offset = e.location?.start?.offset;
  return new CelSyntaxError(source, `${message}${at(source, offset)}`);
}

type Fail = (id: bigint, message: string) => never;
type Call = Extract<Expr["exprKind"], { case: "callExpr" }>["value"];
const INDEX_OPERATORS = new Set(["_[_]", "_[?_]", "_?._"]);
// Added nodes get the id of the node they wrap plus this; the parser's ids count up from 1.
const ADDED_ID = 1n << 40n;

/**
 * Rejects identifiers that are neither our variables, comprehension variables nor type names,
 * and unknown functions. It also rewrites `body.x` to `dyn(body).x`: cel-es resolves a selection
 * on a bare identifier as a possible qualified name (a variable called "body.x") on every
 * evaluation, which costs about a third of the time; on a call's result it selects directly.
 */
function prepare(expr: Expr | undefined, bound: readonly string[], fail: Fail): void {
  if (expr === undefined) return;
  const kind = expr.exprKind;
  switch (kind.case) {
    case "identExpr": {
      const name = kind.value.name;
      if (!VARIABLES.has(name) && !TYPE_NAMES.has(name) && !bound.includes(name)) {
        fail(expr.id, `unknown variable "${name}" (known: body, headers, path)`);
      }
      return;
    }
    case "selectExpr":
      if (isVariable(kind.value.operand, bound)) kind.value.operand = dyn(kind.value.operand);
      prepare(kind.value.operand, bound, fail);
      return;
    case "callExpr": {
      const call = kind.value;
      if (!OPERATORS.has(call.function) && env.funcs.find(call.function) === undefined) {
        const fn = call.function;
        fail(expr.id, MACROS.has(fn) ? `wrong arguments to the ${fn}() macro` : `unknown function "${fn}"`);
      }
      if (INDEX_OPERATORS.has(call.function) && isVariable(call.args[0], bound))
        call.args[0] = dyn(call.args[0]);
      prepare(call.target, bound, fail);
      for (const arg of call.args) prepare(arg, bound, fail);
      return;
    }
    case "listExpr":
      for (const element of kind.value.elements) prepare(element, bound, fail);
      return;
    case "structExpr":
      for (const entry of kind.value.entries) {
        if (entry.keyKind.case === "mapKey") prepare(entry.keyKind.value, bound, fail);
        prepare(entry.value, bound, fail);
      }
      return;
    case "comprehensionExpr": {
      const c = kind.value;
      prepare(c.iterRange, bound, fail);
      prepare(c.accuInit, bound, fail);
      const loop = [...bound, c.iterVar, c.iterVar2, c.accuVar];
      prepare(c.loopCondition, loop, fail);
      prepare(c.loopStep, loop, fail);
      prepare(c.result, [...bound, c.accuVar], fail);
      return;
    }
    default:
      return;
  }
}

function isVariable(expr: Expr | undefined, bound: readonly string[]): expr is Expr {
  return (
    expr?.exprKind.case === "identExpr" &&
    VARIABLES.has(expr.exprKind.value.name) &&
    !bound.includes(expr.exprKind.value.name)
  );
}

/** `dyn(expr)`; the call keeps the expression's id, so errors still point at its position. */
function dyn(expr: Expr): Expr {
  const call: Call = {
    $typeName: "cel.expr.Expr.Call",
    function: "dyn",
    args: [{ ...expr, id: expr.id + ADDED_ID }],
  };
  return { ...expr, exprKind: { case: "callExpr", value: call } };
}

/** cel-es says "field not found" for map keys too; users think of JSON keys. */
function reasonOf(message: string): string {
  return message.startsWith("field not found: ") ? `no such key: ${message.slice(17)}` : message;
}

/** ` at column 7`, or ` at line 2, column 3` for a multi-line expression; "" when unknown. */
function at(source: string, offset: number | undefined): string {
  if (offset === undefined) return "";
  let line = 1;
  let column = 1;
  // Offsets count UTF-16 units; columns count characters, so skip the second half of a pair.
  for (let i = 0; i < offset && i < source.length; i++) {
    const code = source.charCodeAt(i);
    if (code === 10) {
      line++;
      column = 1;
    } else if (code < 0xdc00 || code > 0xdfff) column++;
  }
  return source.includes("\n") ? ` at line ${line}, column ${column}` : ` at column ${column}`;
}

// --- JSON in: wrap lazily, so an evaluation only pays for the keys it reads ---

function toCelInput(value: unknown): CelInput {
  switch (typeof value) {
    case "number":
    case "string":
    case "boolean":
    case "bigint":
      return value;
    case "object":
      if (value === null || value instanceof Uint8Array) return value;
      if (Array.isArray(value)) return toCelList(value);
      return celMap(new ObjectView(value));
    default:
      return null;
  }
}

function toCelList(array: readonly unknown[]): CelInput {
  for (const item of array) {
    if (typeof item !== "number" && typeof item !== "string" && typeof item !== "boolean" && item !== null) {
      return celList(array.map(toCelInput));
    }
  }
  return celList(array as readonly CelInput[]);
}

function isAbsent(value: unknown): boolean {
  return value === undefined || typeof value === "function" || typeof value === "symbol";
}

/**
 * A plain object seen as a CEL map of its own properties. cel-es would copy every object into a
 * Map (and chokes on a JSON key named "constructor"); this reads keys on demand instead.
 */
class ObjectView implements ReadonlyMap<string, CelInput> {
  readonly #object: Record<string, unknown>;
  #entries: Map<string, CelInput> | undefined;

  constructor(object: object) {
    this.#object = object as Record<string, unknown>;
  }

  get(key: unknown): CelInput | undefined {
    if (typeof key !== "string" || !Object.hasOwn(this.#object, key)) return undefined;
    const value = this.#object[key];
    return isAbsent(value) ? undefined : toCelInput(value);
  }

  has(key: unknown): boolean {
    return this.get(key) !== undefined;
  }

  get size(): number {
    return this.#all().size;
  }

  keys() {
    return this.#all().keys();
  }

  values() {
    return this.#all().values();
  }

  entries() {
    return this.#all().entries();
  }

  [Symbol.iterator]() {
    return this.#all().entries();
  }

  forEach(callback: (value: CelInput, key: string, map: ReadonlyMap<string, CelInput>) => void): void {
    for (const [key, value] of this.#all()) callback(value, key, this);
  }

  // Only iteration (comprehensions over a map, map equality, size) needs every entry.
  #all(): Map<string, CelInput> {
    if (this.#entries === undefined) {
      this.#entries = new Map();
      for (const key of Object.keys(this.#object)) {
        const value = this.#object[key];
        if (!isAbsent(value)) this.#entries.set(key, toCelInput(value));
      }
    }
    return this.#entries;
  }
}

// --- JSON out ---

function fromCel(value: CelValue, source: string): unknown {
  switch (typeof value) {
    case "number":
    case "string":
    case "boolean":
      return value;
    case "bigint":
      return toNumber(value, source);
  }
  if (value === null) return null;
  if (isCelList(value)) {
    const out: unknown[] = [];
    for (const item of value) out.push(fromCel(item, source));
    return out;
  }
  if (isCelMap(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of value) {
      // defineProperty, so a "__proto__" key stays data instead of replacing the prototype.
      Object.defineProperty(out, isCelUint(key) ? String(key.value) : String(key), {
        value: fromCel(item, source),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  if (isCelUint(value)) return toNumber(value.value, source);
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (isCelType(value)) return value.name;
  // Timestamps and durations, in their protobuf JSON forms.
  const message = (value as { message?: { $typeName?: string; seconds?: bigint; nanos?: number } }).message;
  if (message?.$typeName === "google.protobuf.Timestamp") {
    return new Date(
      Number(message.seconds ?? 0n) * 1000 + Math.trunc((message.nanos ?? 0) / 1e6),
    ).toISOString();
  }
  if (message?.$typeName === "google.protobuf.Duration") {
    return `${Number(message.seconds ?? 0n) + (message.nanos ?? 0) / 1e9}s`;
  }
  throw new CelEvalError(source, `the result (${message?.$typeName ?? typeof value}) has no JSON form`);
}

function toNumber(value: bigint, source: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new CelEvalError(source, `integer ${value} is too large for JSON`);
  return n;
}
