import type { CelProgram } from "../cel.js";
import type { StepInstance } from "../contract.js";
import { setPath } from "../paths.js";
import { StepArgsError } from "../problems.js";
import { celArg, checkKnownArgs, describe, isRecord, objectArg, pathArg, stepVars } from "./args.js";

interface ComputedField {
  segments: string[];
  program: CelProgram;
}

/**
 * `builtin:map`: `args: {expr: "CEL"}` returns the expression's value; `args: {fields: {name:
 * "CEL"}}` sets each dotted field to its expression's value on a copy of the body. Every
 * expression sees the step's input (not the fields set before it) as `body`; `headers` is empty
 * and `path` is "", because a step receives only its input.
 */
export class MapBody implements StepInstance {
  readonly #expr: CelProgram | undefined;
  readonly #fields: ComputedField[] = [];

  constructor(args: Record<string, unknown>) {
    checkKnownArgs("map", args, ["expr", "fields"]);
    if (args.expr !== undefined && args.fields !== undefined) {
      throw new StepArgsError("fields", "give either expr or fields, not both");
    }
    if (args.expr === undefined && args.fields === undefined) {
      throw new StepArgsError("expr", "builtin:map needs expr (a CEL expression) or fields");
    }
    if (args.expr !== undefined) {
      this.#expr = celArg("expr", args.expr);
      return;
    }
    for (const [path, source] of Object.entries(objectArg("fields", args.fields))) {
      this.#fields.push({
        segments: pathArg("fields", path),
        program: celArg("fields", source, `fields.${path}`),
      });
    }
  }

  do(input: unknown): unknown {
    const vars = stepVars(input);
    if (this.#expr) return this.#expr(vars);
    if (!isRecord(input)) {
      throw new TypeError(`builtin:map with fields needs an object body, got ${describe(input)}`);
    }
    let body: unknown = input;
    for (const { segments, program } of this.#fields) body = setPath(body, segments, program(vars));
    return body;
  }
}
