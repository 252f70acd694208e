import { Ajv2020 } from "ajv/dist/2020.js";
import standalone from "ajv/dist/standalone/index.js";
import { ajvOptions, graphSchema, graphSchemaHash } from "./schema.js";

/**
 * The graph schema's validator as a CommonJS module of ajv's standalone code, for the build to
 * write beside schema.js: at run time the gateway then loads plain validation code instead of
 * ajv's compiler. The same options make the same errors; the module carries the schema's hash
 * so that a schema edited after the build is compiled afresh instead.
 */
export function precompiledValidatorCode(): string {
  const ajv = new Ajv2020({ ...ajvOptions, code: { source: true } });
  // A CommonJS module seen from ESM: the function is its `default` too.
  const code = standalone.default(ajv, ajv.compile(graphSchema));
  return `${code}\nmodule.exports.schemaHash = ${JSON.stringify(graphSchemaHash)};\n`;
}
