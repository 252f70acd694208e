import type { ErrorObject } from "ajv/dist/2020.js";
import { pointer } from "../../graph/problems.js";
import { quantityProblem } from "../quantity.js";
import { patternMessages, patterns } from "./parts.js";

/**
 * Turns ajv's errors into what a user reads: the offending field's pointer and one sentence.
 * The same voice as the graph schema's messages (src/graph/schema.ts).
 */

/** Where the user should look: the unknown field itself, a bad key itself, else the value. */
export function pointerOf(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  const field = params.additionalProperty ?? error.propertyName;
  return field === undefined ? error.instancePath : error.instancePath + pointer(String(field));
}

export function messageOf(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "additionalProperties":
      return unknownField(String(params.additionalProperty), error.parentSchema);
    case "required":
      return `missing required field "${String(params.missingProperty)}"`;
    case "enum":
      return `must be one of: ${(params.allowedValues as unknown[]).map(String).join(", ")}`;
    case "const":
      return `must be ${JSON.stringify(params.allowedValue)}`;
    case "type":
      return `must be ${[params.type].flat().map(withArticle).join(" or ")}`;
    case "pattern":
      if (params.pattern === patterns.quantity || params.pattern === patterns.jvmSize) {
        // Name the slip (2GB, a fraction of a GPU) rather than restate the grammar.
        const resource =
          error.instancePath.split("/").at(-1)?.replaceAll("~1", "/").replaceAll("~0", "~") ?? "";
        const notation = params.pattern === patterns.jvmSize ? "jvm" : "kubernetes";
        const problem = quantityProblem(resource, error.data as string, notation);
        if (problem) return problem;
      }
      return patternMessages[String(params.pattern)] ?? `must match ${String(params.pattern)}`;
    case "minimum":
      return `must be at least ${String(params.limit)}`;
    case "maximum":
      return `must be at most ${String(params.limit)}`;
    case "minItems":
    case "minLength":
    case "minProperties":
      return params.limit === 1 ? "must not be empty" : `must have at least ${String(params.limit)}`;
    case "maxLength":
      return `must be at most ${String(params.limit)} characters`;
    case "anyOf": {
      const fields = requiredAlternatives(error.schema);
      return fields ? `missing required field ${fields}` : "must match one of the allowed forms";
    }
    case "not": {
      const both = (error.schema as { required?: string[] }).required;
      return both ? `use ${both.map((f) => `"${f}"`).join(" or ")}, not both` : "is not allowed here";
    }
    default:
      return error.message ?? `is invalid (${error.keyword})`;
  }
}

/** Drops what ajv reports besides the real mistake: "must match then", anyOf branches, key wrappers. */
export function dropNoise(errors: ErrorObject[]): ErrorObject[] {
  const wrongType = errors.filter((e) => e.keyword === "type").map((e) => e.instancePath);
  return errors.filter((error) => {
    const { keyword, instancePath: at, schemaPath } = error;
    if (keyword === "if" || keyword === "propertyNames" || /\/anyOf\/\d+\//.test(schemaPath)) return false;
    // Inside a value of the wrong type, nothing else is worth saying.
    return !wrongType.some((t) => (at === t || at.startsWith(`${t}/`)) && (keyword !== "type" || at !== t));
  });
}

function withArticle(type: unknown): string {
  const name = String(type);
  return /^[aeiou]/.test(name) ? `an ${name}` : `a ${name}`;
}

/** `[{required: [a]}, {required: [b]}]` → `"a" or "b"`. */
function requiredAlternatives(branches: unknown): string | undefined {
  if (!Array.isArray(branches)) return undefined;
  const fields = branches.map((b) => (b as { required?: string[] }).required?.[0]);
  return fields.every((f) => typeof f === "string") ? fields.map((f) => `"${f}"`).join(" or ") : undefined;
}

/** `unknown field "driver_resource"; did you mean "driver_resources"?` */
function unknownField(field: string, parentSchema: unknown): string {
  const known = Object.keys((parentSchema as { properties?: object } | undefined)?.properties ?? {});
  const close = known
    .map((name) => ({ name, distance: editDistance(field.toLowerCase(), name.toLowerCase()) }))
    .filter((c) => c.distance <= Math.max(1, Math.floor(field.length / 4)))
    .sort((a, b) => a.distance - b.distance)[0];
  return close ? `unknown field "${field}"; did you mean "${close.name}"?` : `unknown field "${field}"`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}
