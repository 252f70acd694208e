import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import type { Problem } from "../../graph/problems.js";
import { type AnyFunctionDocument, type FunctionKind, functionKinds, isFunctionKind } from "../types.js";
import { documentSchema } from "./kinds.js";
import { dropNoise, messageOf, pointerOf } from "./messages.js";
import { semanticFindings } from "./semantic.js";

const compiled = new Map<FunctionKind, ValidateFunction>();
let ajv: Ajv2020 | undefined;

/** Each kind's schema is compiled on first use: a command that reads one kind pays for one. */
function validator(kind: FunctionKind): ValidateFunction {
  let validate = compiled.get(kind);
  if (!validate) {
    ajv ??= new Ajv2020({
      allErrors: true,
      strict: true,
      // `required` inside if/then names fields the enclosing object declares.
      strictRequired: false,
      // Quantities are a string or a number: one schema, one clear error.
      allowUnionTypes: true,
      // parentSchema lets an unknown field suggest the known one it is closest to.
      verbose: true,
    });
    validate = ajv.compile(documentSchema(kind));
    compiled.set(kind, validate);
  }
  return validate;
}

/**
 * Checks a parsed function document against its kind's schema, then what the schema cannot
 * say (quantities, references between fields). Returns one problem per mistake, located by
 * JSON pointer and (given `lineOf`) line; an empty list means the document is valid.
 */
export function validateFunctionDocument(
  raw: unknown,
  file: string,
  lineOf?: (pointer: string) => number | undefined,
): Problem[] {
  const locate = (at: string, message: string): Problem => {
    const line = lineOf?.(at);
    return { file, pointer: at, ...(line === undefined ? {} : { line }), message };
  };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return [locate("", "a function document is a mapping of kind, metadata and spec")];
  }
  const kind = (raw as Record<string, unknown>).kind;
  if (kind === undefined) return [locate("", 'missing required field "kind"')];
  if (!isFunctionKind(kind)) {
    const graph =
      kind === "Graph" ? " (this is a graph document: serve or validate it with sluice serve|validate)" : "";
    return [locate("/kind", `must be one of: ${functionKinds.join(", ")}${graph}`)];
  }
  const validate = validator(kind);
  const problems: Problem[] = [];
  if (validate(raw)) {
    for (const f of semanticFindings(raw as AnyFunctionDocument)) problems.push(locate(f.pointer, f.message));
  } else {
    const seen = new Set<string>();
    for (const error of dropNoise(validate.errors ?? [])) {
      const problem = locate(pointerOf(error), messageOf(error));
      const key = `${problem.pointer}\n${problem.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      problems.push(problem);
    }
  }
  // Document order reads best; ajv reports in schema order.
  return problems.sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER));
}
