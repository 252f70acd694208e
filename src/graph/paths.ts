/**
 * Dotted paths into an event body (`input_path`, `result_path`, the `set`, `map` and `log`
 * built-ins). A path is parsed once at compile time; reading and writing it runs per event, so
 * both walk the segments in a loop and copy only the containers along the path.
 */
import { copyWith } from "./copy.js";

/** A path that is empty, has an empty segment, or would reach an object's prototype machinery. */
export class PathError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.name = "PathError";
    this.path = path;
  }
}

function isUnsafe(segment: string): boolean {
  return segment === "__proto__" || segment === "constructor" || segment === "prototype";
}

/** Splits `a.b.c` into segments; throws PathError for `""`, `a..b` or `__proto__`-like segments. */
export function parsePath(path: string): string[] {
  if (typeof path !== "string" || path === "") throw new PathError(String(path), "a path must not be empty");
  const segments = path.split(".");
  for (const segment of segments) {
    if (segment === "") throw new PathError(path, `path "${path}" has an empty segment`);
    if (isUnsafe(segment)) throw new PathError(path, `path "${path}" must not use "${segment}"`);
  }
  return segments;
}

/** The value at `segments` (own properties only), or undefined when any step is missing. */
export function getPath(obj: unknown, segments: readonly string[]): unknown {
  let current = obj;
  for (const segment of segments) {
    if (typeof current !== "object" || current === null || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/**
 * Returns a copy of `obj` with `value` at `segments`; `obj` is never changed. Only the objects
 * (and arrays, indexed by `0`, `1`, ...) along the path are copied; missing or null
 * intermediates become `{}`. With no segments, returns `value`. Throws PathError when the path
 * runs into a value that is not an object, or uses an unsafe segment.
 */
export function setPath(obj: unknown, segments: readonly string[], value: unknown): unknown {
  if (segments.length === 0) return value;
  return assign(obj ?? {}, segments, 0, value);
}

function assign(target: unknown, segments: readonly string[], i: number, value: unknown): unknown {
  const segment = segments[i]!;
  if (isUnsafe(segment)) throw new PathError(segments.join("."), `path must not use "${segment}"`);
  const last = i === segments.length - 1;
  if (Array.isArray(target)) {
    const index = arrayIndex(segment, target.length);
    if (index === undefined) {
      throw new PathError(
        segments.join("."),
        `cannot set "${segments.join(".")}": "${segment}" is not an index`,
      );
    }
    const copy = target.slice();
    copy[index] = last ? value : assign(target[index] ?? {}, segments, i + 1, value);
    return copy;
  }
  if (typeof target !== "object" || target === null) {
    const at = i === 0 ? "the body" : `"${segments.slice(0, i).join(".")}"`;
    throw new PathError(segments.join("."), `cannot set "${segments.join(".")}": ${at} is not an object`);
  }
  const source = target as Record<string, unknown>;
  return copyWith(source, {
    [segment]: last
      ? value
      : assign(Object.hasOwn(source, segment) ? (source[segment] ?? {}) : {}, segments, i + 1, value),
  });
}

/** An existing index, or the next one (appending); anything else is not an index. */
function arrayIndex(segment: string, length: number): number | undefined {
  if (!/^(0|[1-9]\d*)$/.test(segment)) return undefined;
  const index = Number(segment);
  return index <= length ? index : undefined;
}
