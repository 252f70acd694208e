/**
 * Validators for the Open Inference Protocol's REST message schemas. The schemas are our own
 * copy (test/fixtures/oip/rest-schemas.json, JSON Schema written from the protocol's OpenAPI
 * components), so tests check what sluice sends against the protocol and need nothing
 * outside the repository.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";

const schemaFile = fileURLToPath(new URL("../fixtures/oip/rest-schemas.json", import.meta.url));

let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();

function validatorFor(schemaName: string): ValidateFunction {
  const known = compiled.get(schemaName);
  if (known) return known;
  if (!ajv) {
    ajv = new Ajv({ allErrors: true, strict: true, validateFormats: false });
    ajv.addSchema(JSON.parse(readFileSync(schemaFile, "utf8")) as object);
  }
  const validate = ajv.getSchema(`oip#/$defs/${schemaName}`);
  if (!validate) throw new Error(`${schemaFile} has no schema "${schemaName}"`);
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
