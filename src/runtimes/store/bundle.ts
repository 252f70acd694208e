import { SluiceError } from "../../errors.js";
import { functionFromRaw } from "../document/read.js";
import { functionHash } from "../hash.js";
import type { FunctionDocument } from "../types.js";
import type { FunctionStore, PutResult, Resolved } from "./store.js";

/**
 * A whole store (or part of it) as one document: every version, each with its hash, and
 * every tag. `sluice functions export` writes it; `sluice functions import` reads it back.
 */
export interface FunctionList {
  apiVersion: "sluice/v1";
  kind: "FunctionList";
  items: FunctionDocument[];
  tags: Resolved[];
}

export function isFunctionList(raw: unknown): boolean {
  return typeof raw === "object" && raw !== null && (raw as { kind?: unknown }).kind === "FunctionList";
}

/** Every version and tag matching the filter, oldest version first (the order they were stored). */
export function exportFunctions(
  store: FunctionStore,
  filter: { project?: string; name?: string } = {},
): FunctionList {
  const versions = store.list(filter).reverse();
  const items = versions.map((v) =>
    store.get({ project: v.project, name: v.name, hash: v.hash }).fn.toDocument(),
  );
  return { apiVersion: "sluice/v1", kind: "FunctionList", items, tags: store.tags(filter) };
}

/**
 * Stores every item of a FunctionList and sets its tags, in one transaction: all of it or
 * none. Each item is checked like any function document; an item whose recorded hash does
 * not match its content is stored under its content hash, and its tags follow it.
 * @throws FunctionInvalidError for the first invalid item, SluiceError for a malformed list.
 */
export function importFunctionList(
  store: FunctionStore,
  raw: unknown,
  file: string,
  origin: string,
): { stored: PutResult[]; notes: string[] } {
  const list = raw as Partial<FunctionList>;
  if (!Array.isArray(list.items) || (list.tags !== undefined && !Array.isArray(list.tags))) {
    throw new SluiceError(
      "SLUICE_ERR_FUNCTION_INVALID",
      `${file}: a FunctionList has items (and tags) lists`,
    );
  }
  const notes: string[] = [];
  const renamed = new Map<string, string>();
  const loaded = list.items.map((item, i) => {
    const recorded = (item as { metadata?: { hash?: unknown } })?.metadata?.hash;
    const { fn, notes: itemNotes } = functionFromRaw(item, `${file} (items/${i})`, origin);
    const hash = functionHash(fn.document());
    if (typeof recorded === "string" && recorded !== hash) {
      renamed.set(recorded, hash);
      notes.push(
        `items/${i} (${fn.name}): recorded hash ${recorded.slice(0, 12)} differs from its content's ${hash.slice(0, 12)}`,
      );
    }
    notes.push(...itemNotes.map((n) => `items/${i} (${fn.name}): ${n}`));
    return fn;
  });
  const present = new Set(loaded.map((fn) => `${fn.project}/${fn.name}@${functionHash(fn.document())}`));
  const tags = (list.tags ?? []).map((t, i) => {
    const ok = [t?.project, t?.name, t?.tag, t?.hash].every((v) => typeof v === "string");
    const hash = ok ? (renamed.get(t.hash) ?? t.hash) : "";
    if (!ok || !present.has(`${t.project}/${t.name}@${hash}`)) {
      throw new SluiceError(
        "SLUICE_ERR_FUNCTION_INVALID",
        `${file}: tags/${i} must point at one of the list's items (project, name, tag, hash)`,
      );
    }
    return { project: t.project, name: t.name, tag: t.tag as string, hash };
  });
  const stored = store.atomically(() => {
    const results = loaded.map((fn) => store.put(fn, { tag: null, origin }));
    for (const t of tags) store.setTag(t.project, t.name, t.tag, t.hash);
    return results;
  });
  return { stored, notes };
}
