import { existsSync, realpathSync } from "node:fs";
import { dirname, extname, isAbsolute, relative, resolve } from "node:path";
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

/** True when `file` is `root` or inside it. */
function isUnder(file: string, root: string): boolean {
  const rel = relative(root, file);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/** The real path of an existing file (symlinks followed), else the path itself. */
function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * Where a step module may come from: the graph file's folder tree, or one of `roots`. The
 * check runs on the path as written and again on its real path (a symlink cannot lead out),
 * and before anything is looked up, so a refused path says the same whether it exists or not.
 */
function checkRoots(module: string, file: string, graphFile: string, roots: readonly string[]): void {
  const allowed = [dirname(resolve(graphFile)), ...roots.map((r) => resolve(r))];
  const real = realOrSelf(file);
  const inside = (path: string) =>
    allowed.some((root) => isUnder(path, root) || isUnder(path, realOrSelf(root)));
  if (inside(file) && inside(real)) return;
  throw new CodeRefError(
    `module ${module} is outside the folders step modules may be loaded from (the graph's folder and --module-root)`,
  );
}

/**
 * Loads `module#export` relative to the graph file, from the graph's folder tree or one of
 * `roots` only. Errors name the module, the resolved file and the exports that do exist, so
 * a typo is easy to spot.
 */
export async function loadExport(
  ref: string,
  graphFile: string,
  roots: readonly string[] = [process.cwd()],
): Promise<unknown> {
  const { module, exportName } = splitCodeRef(ref);
  if (!module) throw new CodeRefError(`"${ref}" names no module (expected ./file.mjs#export)`);
  const file = resolve(dirname(graphFile), module);
  checkRoots(module, file, graphFile, roots);
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
