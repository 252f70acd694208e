import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { ErrorObject, Options, SchemaObject, ValidateFunction } from "ajv/dist/2020.js";
import { type Problem, pointer, stepOfPointer } from "./problems.js";

const schemaText = readFileSync(new URL("../../schema/graph.schema.json", import.meta.url), "utf8");

/**
 * The graph document's JSON Schema (schema/graph.schema.json): the single source for
 * validation, editor completion and docs. Read once, when this module loads.
 */
export const graphSchema: SchemaObject = JSON.parse(schemaText);

/** Names the schema's exact text: a precompiled validator is used only for the schema it was made from. */
export const graphSchemaHash = createHash("sha256").update(schemaText).digest("hex");

/** ajv's settings for the graph schema, the same for a validator compiled here and a precompiled one. */
export const ajvOptions: Options = {
  allErrors: true,
  strict: true,
  // strictRequired cannot see properties declared beside an if/then (`required` in `then`).
  strictRequired: false,
  // Durations are a number or a string: one schema, so one clear error instead of an anyOf.
  allowUnionTypes: true,
  // parentSchema lets us tell which fields a failing `then` declares (see dropNoise).
  verbose: true,
};

/** The file `npm run build` writes beside this module's compiled form (scripts/precompile-schema.mjs). */
export const precompiledFile = "graph-schema.validate.cjs";

const require = createRequire(import.meta.url);

/** Compiles the schema with ajv (about 100 ms; ajv's compiler and its work add ~13 MB of RSS). */
export function compileGraphValidator(options: Options = ajvOptions): ValidateFunction {
  const { Ajv2020 } = require("ajv/dist/2020.js") as typeof import("ajv/dist/2020.js");
  return new Ajv2020(options).compile(graphSchema);
}

/**
 * The validator `npm run build` generated with ajv's standalone code for this schema, or
 * undefined when there is none (running from src/, as the tests do) or it was made from
 * another version of the schema. Loading it costs ~0.5 MB where compiling costs ~13 MB.
 */
function precompiledValidator(): ValidateFunction | undefined {
  let loaded: ValidateFunction & { schemaHash?: string };
  try {
    loaded = require(`./${precompiledFile}`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND") return undefined;
    throw error;
  }
  return loaded.schemaHash === graphSchemaHash ? loaded : undefined;
}

let compiled: ValidateFunction | undefined;

/** Made on first use, so commands that never validate do not pay for it. */
function validator(): ValidateFunction {
  compiled ??= precompiledValidator() ?? compileGraphValidator();
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
  "^(nats://.+|kafka://([^/]+/)?(?!\\.{1,2}$)[A-Za-z0-9._-]{1,249})$":
    "must be kafka://<topic> or nats://<subject>, a Kafka topic being letters, digits, '.', '_' and '-' (at most 249)",
  "^(?!\\.{1,2}$)[A-Za-z0-9._-]{1,249}$":
    "must be a Kafka topic name: letters, digits, '.', '_' and '-' (at most 249), not '.' or '..'",
  "^(/.+/|(?!\\.{1,2}$)[A-Za-z0-9._-]{1,249})$":
    "must be a Kafka topic name (letters, digits, '.', '_' and '-', at most 249) or a /regular expression/",
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
      // Quote what was written: `kind "teleport" is not one of: task, router, ...`.
      return `${JSON.stringify(error.data)} is not one of: ${(params.allowedValues as unknown[]).map(String).join(", ")}`;
    case "const":
      return `must be ${String(params.allowedValue)}, not ${JSON.stringify(error.data)}`;
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
