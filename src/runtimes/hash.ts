import { createHash } from "node:crypto";

/**
 * Canonical JSON: JSON.stringify's values with every object's keys sorted (by UTF-16 code
 * unit, as Array#sort does), no whitespace. Two documents that differ only in key order or
 * formatting (YAML or JSON, any indentation) give the same text. Written out directly rather
 * than through sorted copies: a copy would turn a `__proto__` key into a prototype.
 */
export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  write(value, parts, new Set());
  return parts.join("");
}

function write(value: unknown, out: string[], path: Set<object>): void {
  if (value === null || typeof value !== "object") {
    if (typeof value === "bigint") throw new TypeError("canonicalJson: BigInt has no JSON form");
    // Numbers, strings, booleans as JSON writes them (NaN and ±Infinity become null).
    out.push(JSON.stringify(value) ?? "null");
    return;
  }
  const withJson = value as { toJSON?: () => unknown };
  if (typeof withJson.toJSON === "function") {
    write(withJson.toJSON(), out, path);
    return;
  }
  if (path.has(value)) throw new TypeError("canonicalJson: the value is cyclic");
  path.add(value);
  if (Array.isArray(value)) {
    out.push("[");
    // A loop, not forEach: a hole is written as null, as JSON.stringify writes it.
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(",");
      const item: unknown = value[i];
      write(skipped(item) ? null : item, out, path);
    }
    out.push("]");
  } else {
    out.push("{");
    let first = true;
    for (const key of Object.keys(value).sort()) {
      const item = (value as Record<string, unknown>)[key];
      if (skipped(item)) continue;
      if (!first) out.push(",");
      first = false;
      out.push(JSON.stringify(key), ":");
      write(item, out, path);
    }
    out.push("}");
  }
  path.delete(value);
}

/** What JSON.stringify leaves out of objects (and writes as null in arrays). */
function skipped(value: unknown): boolean {
  return value === undefined || typeof value === "function" || typeof value === "symbol";
}

/** Metadata that names or describes a version rather than being part of it. */
const notContent = new Set(["tag", "hash", "updated", "created"]);

/**
 * The part of a function document its hash covers: everything but `status` and the
 * metadata fields tag, hash, updated and created. Shallow: the rest is shared, not copied.
 */
export function hashedContent(doc: Record<string, unknown>): Record<string, unknown> {
  const content: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) {
    if (key === "status") continue;
    if (key === "metadata" && typeof value === "object" && value !== null) {
      content.metadata = Object.fromEntries(Object.entries(value).filter(([k]) => !notContent.has(k)));
    } else {
      Object.defineProperty(content, key, { value, enumerable: true, writable: true, configurable: true });
    }
  }
  return content;
}

/**
 * The content hash of a function: SHA-1 (hex) of the canonical JSON of its content. Equal
 * content gives an equal hash across key order, formats and runs; any change gives a new one.
 */
export function functionHash(doc: object): string {
  return createHash("sha1")
    .update(canonicalJson(hashedContent(doc as Record<string, unknown>)))
    .digest("hex");
}
