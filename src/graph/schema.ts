import { readFileSync } from "node:fs";
import { Ajv2020, type ErrorObject, type SchemaObject, type ValidateFunction } from "ajv/dist/2020.js";
import { type Problem, pointer, stepOfPointer } from "./problems.js";

/**
 * The graph document's JSON Schema (schema/graph.schema.json): the single source for
 * validation, editor completion and docs. Read once, when this module loads.
 */
export const graphSchema: SchemaObject = JSON.parse(
  readFileSync(new URL("../../schema/graph.schema.json", import.meta.url), "utf8"),
);

let compiled: ValidateFunction | undefined;

/** Compiled on first use (about 100 ms), so commands that never validate do not pay for it. */
function validator(): ValidateFunction {
  compiled ??= new Ajv2020({
    allErrors: true,
    strict: true,
    // strictRequired cannot see properties declared beside an if/then (`required` in `then`).
    strictRequired: false,
    // Durations are a number or a string: one schema, so one clear error instead of an anyOf.
    allowUnionTypes: true,
    // parentSchema lets us tell which fields a failing `then` declares (see dropNoise).
    verbose: true,
  }).compile(graphSchema);
  return compiled;
}

/** Friendly messages for the schema's patterns; a test checks every pattern has one. */
export const patternMessages: Readonly<Record<string, string>> = {
  "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$":
    "must be a Kubernetes-style name: lowercase letters, digits and '-', starting and ending with a letter or digit",
  "^[A-Za-z0-9_][A-Za-z0-9_.:-]*$":
    "must be a step name: letters, digits, '_', '.', ':' and '-', not starting with '.', ':' or '-'",
  "^(?=.*[1-9])\\d+(\\.\\d+)?(ms|s|m|h)$": "must be a duration such as 250ms, 2s, 1.5m or 1h",
  "^https?://": "must be an http:// or https:// URL",
  "^(kafka|nats)://.+$": "must be kafka://<topic> or nats://<subject>",
};

/**
 * Checks a parsed graph document against the schema. Returns one problem per mistake, each
 * with the pointer of the offending field, its step and (given `lineOf`) its line; an empty
 * list means the document is valid.
 */
export function validateDocument(
  raw: unknown,
  file: string,
  lineOf?: (pointer: string) => number | undefined,
): Problem[] {
  const validate = validator();
  if (validate(raw)) return [];
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const error of dropNoise(validate.errors ?? [])) {
    const at = pointerOf(error);
    const message = messageOf(error);
    const key = `${at}\n${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const step = stepOfPointer(at);
    const line = lineOf?.(at);
    problems.push({
      file,
      pointer: at,
      ...(step === undefined ? {} : { step }),
      ...(line === undefined ? {} : { line }),
      message,
    });
  }
  // Document order reads best; ajv reports in schema order.
  return problems.sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER));
}

/** Where the user should look: the unknown field itself, a bad key itself, else the value. */
function pointerOf(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  const field = params.unevaluatedProperty ?? params.additionalProperty ?? error.propertyName;
  return field === undefined ? error.instancePath : error.instancePath + pointer(String(field));
}

function messageOf(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "unevaluatedProperties":
      return `unknown field "${String(params.unevaluatedProperty)}"`;
    case "additionalProperties":
      return `unknown field "${String(params.additionalProperty)}"`;
    case "required":
      return `missing required field "${String(params.missingProperty)}"`;
    case "enum":
      return `must be one of: ${(params.allowedValues as unknown[]).map(String).join(", ")}`;
    case "const":
      return `must be ${String(params.allowedValue)}`;
    case "type":
      return `must be ${[params.type].flat().map(withArticle).join(" or ")}`;
    case "pattern":
      return patternMessages[String(params.pattern)] ?? `must match ${String(params.pattern)}`;
    case "oneOf":
      return oneOfMessage(error);
    case "minItems":
    case "minLength":
    case "minProperties":
      return params.limit === 1 ? "must not be empty" : `must have at least ${String(params.limit)}`;
    case "maxLength":
      return `must be at most ${String(params.limit)} characters`;
    default:
      return error.message ?? `is invalid (${error.keyword})`;
  }
}

function withArticle(type: unknown): string {
  const name = String(type);
  return /^[aeiou]/.test(name) ? `an ${name}` : `a ${name}`;
}

/** The schema's oneOf are "exactly one of these fields" (handler | class, schedule | interval). */
function oneOfMessage(error: ErrorObject): string {
  const fields = requiredAlternatives(error.schema);
  if (fields === undefined) return "must match exactly one of the allowed forms";
  const quoted = fields.map((f) => `"${f}"`).join(" or ");
  const passing = (error.params as { passingSchemas: number[] | null }).passingSchemas;
  return passing === null ? `missing required field ${quoted}` : `use ${quoted}, not both`;
}

/** `[{required: [a]}, {required: [b]}]` → `[a, b]`; undefined for any other oneOf. */
function requiredAlternatives(branches: unknown): string[] | undefined {
  if (!Array.isArray(branches)) return undefined;
  const fields: string[] = [];
  for (const branch of branches as unknown[]) {
    const required = isObject(branch) && Object.keys(branch).length === 1 ? branch.required : undefined;
    if (!Array.isArray(required) || required.length !== 1) return undefined;
    fields.push(String(required[0]));
  }
  return fields;
}

/**
 * Drops what ajv reports besides the real mistake: "must match then schema", the branches of
 * a oneOf (its own error says it), the wrapper of a bad key, anything inside a value of the
 * wrong type, and "unevaluated" fields that only look unknown because the `then` that
 * declares them failed, or because the object's `kind` is itself wrong.
 */
function dropNoise(errors: ErrorObject[]): ErrorObject[] {
  const wrongType = errors.filter((e) => e.keyword === "type").map((e) => e.instancePath);
  const badKind = new Set<string>();
  const declaredByFailedThen = new Map<string, Set<string> | "any">();
  for (const error of errors) {
    const params = error.params as Record<string, unknown>;
    if (error.instancePath.endsWith("/kind")) badKind.add(error.instancePath.slice(0, -"/kind".length));
    if (error.keyword === "required" && params.missingProperty === "kind") badKind.add(error.instancePath);
    if (error.keyword === "if" && isObject(error.parentSchema)) {
      const declared = declaredProperties(error.parentSchema.then);
      const known = declaredByFailedThen.get(error.instancePath) ?? new Set<string>();
      if (declared === "any" || known === "any") declaredByFailedThen.set(error.instancePath, "any");
      else declaredByFailedThen.set(error.instancePath, new Set([...known, ...declared]));
    }
  }
  return errors.filter((error) => {
    const { keyword, instancePath: at, schemaPath } = error;
    if (keyword === "if" || keyword === "propertyNames" || /\/oneOf\/\d+\//.test(schemaPath)) return false;
    if (wrongType.some((t) => (at === t || at.startsWith(`${t}/`)) && (keyword !== "type" || at !== t))) {
      return false;
    }
    if (keyword !== "unevaluatedProperties") return true;
    if (badKind.has(at)) return false;
    const declared = declaredByFailedThen.get(at);
    const field = String((error.params as Record<string, unknown>).unevaluatedProperty);
    return declared === undefined || (declared !== "any" && !declared.has(field));
  });
}

/** The property names a subschema declares, following local `$ref`s and `allOf`. */
function declaredProperties(schema: unknown, seen = new Set<unknown>()): Set<string> | "any" {
  const names = new Set<string>();
  if (!isObject(schema) || seen.has(schema)) return names;
  seen.add(schema);
  if (schema.additionalProperties === true) return "any";
  if (isObject(schema.properties)) for (const name of Object.keys(schema.properties)) names.add(name);
  const parts = [...(Array.isArray(schema.allOf) ? schema.allOf : [])];
  if (typeof schema.$ref === "string") parts.push(resolveRef(schema.$ref));
  for (const part of parts) {
    const more = declaredProperties(part, seen);
    if (more === "any") return "any";
    for (const name of more) names.add(name);
  }
  return names;
}

function resolveRef(ref: string): unknown {
  const defs = graphSchema.$defs as Record<string, unknown>;
  return ref.startsWith("#/$defs/") ? defs[ref.slice("#/$defs/".length)] : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
