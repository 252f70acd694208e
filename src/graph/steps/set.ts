import type { StepInstance } from "../contract.js";
import { setPath } from "../paths.js";
import { checkKnownArgs, describe, isRecord, objectArg, pathArg } from "./args.js";

interface FixedField {
  segments: string[];
  value: unknown;
  /** Objects are cloned per event, so a later step that mutates one cannot change the next event. */
  clone: boolean;
}

/**
 * `builtin:set`, `args: {fields: {a: 1, "b.c": "x"}}`: sets fixed values at dotted paths on a
 * copy of the body (only the objects along each path are copied; the input is never changed).
 */
export class SetFields implements StepInstance {
  readonly #fields: FixedField[] = [];

  constructor(args: Record<string, unknown>) {
    checkKnownArgs("set", args, ["fields"]);
    for (const [path, value] of Object.entries(objectArg("fields", args.fields))) {
      const clone = typeof value === "object" && value !== null;
      this.#fields.push({ segments: pathArg("fields", path), value, clone });
    }
  }

  do(input: unknown): unknown {
    if (!isRecord(input)) throw new TypeError(`builtin:set needs an object body, got ${describe(input)}`);
    let body: unknown = input;
    for (const { segments, value, clone } of this.#fields) {
      body = setPath(body, segments, clone ? structuredClone(value) : value);
    }
    return body;
  }
}
