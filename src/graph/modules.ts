import { existsSync } from "node:fs";
import { dirname, extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** Why a code reference could not be resolved, in one line. */
export class CodeRefError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CodeRefError";
  }
}

const typescriptExtensions = new Set([".ts", ".mts", ".cts", ".tsx"]);
const moduleCache = new Map<string, Promise<Record<string, unknown>>>();

/** Splits `./steps.mjs#parse` into the module path and the export name (`default` when absent). */
export function splitCodeRef(ref: string): { module: string; exportName: string } {
  const hash = ref.lastIndexOf("#");
  if (hash < 0) return { module: ref, exportName: "default" };
  return { module: ref.slice(0, hash), exportName: ref.slice(hash + 1) || "default" };
}

async function importModule(file: string): Promise<Record<string, unknown>> {
  let loading = moduleCache.get(file);
  if (!loading) {
    const url = pathToFileURL(file).href;
    // TypeScript step modules go through tsx, which compiles them on the fly (and caches).
    loading = typescriptExtensions.has(extname(file))
      ? import("tsx/esm/api").then(
          (tsx) => tsx.tsImport(url, import.meta.url) as Promise<Record<string, unknown>>,
        )
      : (import(url) as Promise<Record<string, unknown>>);
    moduleCache.set(file, loading);
    loading.catch(() => moduleCache.delete(file));
  }
  return loading;
}

/**
 * Loads `module#export` relative to the graph file. Errors name the module, the resolved
 * file and the exports that do exist, so a typo is easy to spot.
 */
export async function loadExport(ref: string, graphFile: string): Promise<unknown> {
  const { module, exportName } = splitCodeRef(ref);
  if (!module) throw new CodeRefError(`"${ref}" names no module (expected ./file.mjs#export)`);
  const file = resolve(dirname(graphFile), module);
  if (!existsSync(file)) throw new CodeRefError(`module ${module} not found (looked for ${file})`);
  let exports: Record<string, unknown>;
  try {
    exports = await importModule(file);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new CodeRefError(`module ${module} failed to load: ${reason}`);
  }
  if (!(exportName in exports)) {
    const names = Object.keys(exports).filter((n) => n !== "__esModule");
    const known = names.length > 0 ? names.join(", ") : "nothing";
    throw new CodeRefError(`module ${module} has no export "${exportName}" (it exports: ${known})`);
  }
  return exports[exportName];
}
