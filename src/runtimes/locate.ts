import { existsSync } from "node:fs";
import { type LoadedFunction, readFunctionFile } from "./document/read.js";
import type { FunctionObject } from "./function-object.js";
import { Hub, isHubUri } from "./hub/hub.js";
import type { FunctionStore } from "./store/store.js";

/** A function found from what a user typed, and where its relative paths resolve. */
export interface LocatedFunction {
  fn: FunctionObject;
  origin: string;
  notes: string[];
  from: "file" | "hub" | "store";
}

/**
 * What `sluice run <function>` and `sluice functions import <source>` accept: a document
 * file, a `hub://name[:tag]`, or a stored function's reference (`name`, `name:tag`,
 * `name@hash`, `project/name...`). A path that exists wins over a reference of the same spelling.
 */
export async function locateFunction(
  text: string,
  sources: { store: () => FunctionStore; hub?: string | undefined },
): Promise<LocatedFunction> {
  if (isHubUri(text)) return fromDocument(await new Hub(sources.hub).resolve(text), "hub");
  if (existsSync(text) || /\.(ya?ml|json)$/i.test(text))
    return fromDocument(await readFunctionFile(text), "file");
  const stored = sources.store().get(text);
  return { fn: stored.fn, origin: stored.origin ?? process.cwd(), notes: [], from: "store" };
}

function fromDocument(loaded: LoadedFunction, from: "file" | "hub"): LocatedFunction {
  return { fn: loaded.fn, origin: loaded.base, notes: loaded.notes, from };
}
