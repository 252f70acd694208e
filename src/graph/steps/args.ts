/**
 * Argument checks shared by the built-in steps. Each throws StepArgsError naming the field, so
 * the graph compiler can point at `/spec/steps/<name>/args/<field>`.
 */
import { type CelProgram, CelSyntaxError, compileCel } from "../cel.js";
import { PathError, parsePath } from "../paths.js";
import { StepArgsError } from "../problems.js";

/** Rejects arguments the step does not know, so a typo is not silently ignored. */
export function checkKnownArgs(step: string, args: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(args)) {
    if (!known.includes(key)) {
      const takes = known.length === 0 ? "takes no arguments" : `takes ${known.join(", ")}`;
      throw new StepArgsError(key, `unknown argument "${key}" (builtin:${step} ${takes})`);
    }
  }
}

/**
 * Compiles a CEL argument. `field` is where the error points; `entry` names the entry within it
 * (`fields.total`) when the field holds several expressions.
 */
export function celArg(field: string, value: unknown, entry?: string): CelProgram {
  if (typeof value !== "string" || value.trim() === "") {
    throw new StepArgsError(field, `${entry ?? field} must be a CEL expression (a non-empty string)`);
  }
  try {
    return compileCel(value);
  } catch (error) {
    if (error instanceof CelSyntaxError) {
      throw new StepArgsError(field, entry === undefined ? error.message : `${entry}: ${error.message}`);
    }
    throw error;
  }
}

/** Parses a dotted path argument (`a.b.c`). */
export function pathArg(field: string, value: string): string[] {
  try {
    return parsePath(value);
  } catch (error) {
    if (error instanceof PathError) throw new StepArgsError(field, error.message);
    throw error;
  }
}

/** A non-empty plain object argument, such as `fields`. */
export function objectArg(field: string, value: unknown): Record<string, unknown> {
  if (!isRecord(value) || Object.keys(value).length === 0) {
    throw new StepArgsError(field, `${field} must be a non-empty object`);
  }
  return value;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `null`, `an array`, `a string`: for messages about a body of the wrong shape. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return value === undefined ? "nothing" : `a ${typeof value}`;
}

/** The CEL variables a step evaluates with: a step sees only its input, not the event. */
export function stepVars(body: unknown) {
  return { body, headers: NO_HEADERS, path: "" };
}

const NO_HEADERS: Record<string, string | undefined> = Object.freeze({});
