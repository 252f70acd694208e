/** The MLRun document as the importer reads it: fields with their place, problems and notes. */
import { type Problem, pointer } from "../problems.js";
import type { ClassMapping } from "./mapping.js";

export type Raw = Record<string, unknown>;
export type Path = (string | number)[];

/** What one import collects: problems and notes; and what every step needs: the mapping. */
export class Context {
  readonly problems: Problem[] = [];
  readonly notes: string[] = [];
  /** spec.default_class: the class of routes that name none. */
  defaultClass: string | undefined;
  constructor(
    readonly file: string,
    readonly mapping: ClassMapping,
  ) {}
}

/** One object of the MLRun document (a step, a route, class_args) and where it lies in it. */
export class Fields {
  constructor(
    readonly ctx: Context,
    readonly raw: Raw,
    readonly path: Path,
    readonly step?: string,
  ) {}

  /** Records a problem at `key` (or at the object); returns undefined for `return f.refuse(...)`. */
  refuse(key: string | number | undefined, message: string): undefined {
    const at = pointer(...this.path, ...(key === undefined ? [] : [key]));
    this.ctx.problems.push({
      file: this.ctx.file,
      pointer: at,
      ...(this.step ? { step: this.step } : {}),
      message,
    });
    return undefined;
  }

  note(message: string): void {
    this.ctx.notes.push(message);
  }

  /** A map field as Fields (empty when unset); a value of another type is refused. */
  child(key: string, step = this.step): Fields {
    const value = this.raw[key];
    const child = new Fields(this.ctx, isRecord(value) ? value : {}, [...this.path, key], step);
    if (value !== undefined && value !== null && !isRecord(value))
      child.refuse(undefined, `must be a map, not ${show(value)}`);
    return child;
  }

  /** A string field; MLRun writes '' and null for unset ones. */
  text(key: string): string | undefined {
    const value = this.raw[key];
    if (value === undefined || value === null || value === "") return undefined;
    return typeof value === "string" ? value : this.refuse(key, `must be a string, not ${show(value)}`);
  }

  flag(key: string): boolean | undefined {
    const value = this.raw[key];
    if (value === undefined || value === null || typeof value === "boolean") return value ?? undefined;
    return this.refuse(key, `must be true or false, not ${show(value)}`);
  }

  /** A list of step names; MLRun accepts a single name too. */
  names(key: string): string[] {
    const value = this.raw[key];
    const list: unknown[] = Array.isArray(value)
      ? value
      : value === undefined || value === null
        ? []
        : [value];
    if (list.every((v): v is string => typeof v === "string")) return [...new Set(list)];
    this.refuse(key, "must be a step name or a list of step names");
    return [];
  }

  /** The keys set (not empty) beside the `known` ones. */
  others(known: Iterable<string>): string[] {
    const skip = new Set(known);
    return Object.keys(this.raw).filter((k) => !skip.has(k) && !isEmpty(this.raw[k]));
  }
}

export function isRecord(value: unknown): value is Raw {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** MLRun exports unset fields as '', [], {}, false or null. */
export function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === "" || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  return isRecord(value) && Object.keys(value).length === 0;
}

export function show(value: unknown): string {
  if (typeof value === "string") return `"${value}"`;
  if (value === undefined) return "nothing";
  return Array.isArray(value) ? "a list" : isRecord(value) ? "a map" : String(value);
}

export function words(text: string): string[] {
  return text.split(/\s+/);
}

/** The order in which DESIGN.md writes a step's fields: what it is, what it runs, its edges, then the rest. */
const FIELD_ORDER = words(
  "kind type handler class args url method headers retries timeout stream after before input_path " +
    "result_path full_event on_error function vote weights routes",
);

export function ordered<T extends object>(step: T): T {
  const rank = (key: string) => (FIELD_ORDER.includes(key) ? FIELD_ORDER.indexOf(key) : FIELD_ORDER.length);
  return Object.fromEntries(Object.entries(step).sort(([a], [b]) => rank(a) - rank(b))) as T;
}
