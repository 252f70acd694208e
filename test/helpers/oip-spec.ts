/**
 * Validators for the Open Inference Protocol's REST schemas, straight from the spec
 * (/work/shared/specs/open_inference_rest.yaml, beside the repository), so that tests check
 * what sluice sends against the protocol rather than against our own idea of it.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { parse } from "yaml";

/** The spec lives in the shared folder next to the repository root; SLUICE_OIP_SPEC overrides. */
const specPath =
  process.env.SLUICE_OIP_SPEC ??
  fileURLToPath(new URL("../../../shared/specs/open_inference_rest.yaml", import.meta.url));

const COMPONENT_REF = "#/components/schemas/";

/**
 * OpenAPI 3.0 schema objects are JSON Schema with differences ajv rejects: `nullable`, refs
 * into `components`, boolean `exclusiveMinimum`/`exclusiveMaximum`, `example` and `x-*` keys.
 */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (typeof node !== "object" || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith("x-") || key === "example" || key === "nullable" || key === "discriminator") continue;
    if (key === "$ref" && typeof value === "string" && value.startsWith(COMPONENT_REF)) {
      out.$ref = `#/$defs/${value.slice(COMPONENT_REF.length)}`;
    } else if ((key === "exclusiveMinimum" || key === "exclusiveMaximum") && typeof value === "boolean") {
      const bound = key === "exclusiveMinimum" ? "minimum" : "maximum";
      const limit = (node as Record<string, unknown>)[bound];
      if (value && typeof limit === "number") out[key] = limit;
    } else {
      out[key] = toJsonSchema(value);
    }
  }
  if (out.exclusiveMinimum !== undefined) delete out.minimum;
  if (out.exclusiveMaximum !== undefined) delete out.maximum;
  if ((node as Record<string, unknown>).nullable === true) {
    return typeof out.type === "string"
      ? { ...out, type: [out.type, "null"] }
      : { anyOf: [out, { type: "null" }] };
  }
  return out;
}

let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();

function validatorFor(schemaName: string): ValidateFunction {
  const known = compiled.get(schemaName);
  if (known) return known;
  if (!ajv) {
    const spec = parse(readFileSync(specPath, "utf8")) as {
      components?: { schemas?: Record<string, unknown> };
    };
    const schemas = spec.components?.schemas ?? {};
    ajv = new Ajv({ allErrors: true, strict: true, validateFormats: false });
    ajv.addSchema({ $id: "oip", $defs: toJsonSchema(schemas) });
  }
  const validate = ajv.getSchema(`oip#/$defs/${schemaName}`);
  if (!validate) throw new Error(`${specPath} has no component schema "${schemaName}"`);
  compiled.set(schemaName, validate);
  return validate;
}

/**
 * A validator for one of the spec's component schemas (`inference_response`,
 * `inference_error_response`, `metadata_model_response`...). It returns `true`, or ajv's errors,
 * so that `expect(validate(body)).toBe(true)` shows what is wrong when it fails.
 */
export function oipValidator(schemaName: string): (value: unknown) => true | ErrorObject[] {
  const validate = validatorFor(schemaName);
  return (value) => (validate(value) ? true : [...(validate.errors ?? [])]);
}
