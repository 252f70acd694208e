import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { PlannedStep } from "../../graph/index.js";
import { deployInvalid, stepField } from "./deploy-error.js";

/** A file shipped in a ConfigMap: its path relative to the graph's folder, and its bytes. */
export interface CodeFile {
  path: string;
  content: Buffer;
}

/** The code references of a step and of its routes, with the field each sits in. */
function codeRefs(step: PlannedStep): { ref: string; field: string }[] {
  const refs: { ref: string; field: string }[] = [];
  const add = (spec: { handler?: unknown; class?: unknown }, prefix: string) => {
    if (typeof spec.handler === "string") refs.push({ ref: spec.handler, field: `${prefix}handler` });
    if (typeof spec.class === "string") refs.push({ ref: spec.class, field: `${prefix}class` });
  };
  add(step.spec as { handler?: unknown; class?: unknown }, "");
  const routes = (step.spec as { routes?: Record<string, { handler?: unknown; class?: unknown }> }).routes;
  for (const [name, route] of Object.entries(routes ?? {})) add(route, `routes.${name}.`);
  return refs;
}

/** What one render has read: each file once, however many functions ship it. */
export type FileCache = Map<string, { content: Buffer; imports: string[] }>;

/**
 * The files the given steps need: the modules their `handler`/`class` name and, followed
 * transitively, the modules those import by relative path. Paths are relative to the graph's
 * folder, sorted, so the ConfigMap is the same for the same code. Refuses a module outside
 * that folder: only the folder is shipped, and the path would not resolve in the pod.
 */
export function codeFilesOf(
  steps: readonly PlannedStep[],
  graphFile: string,
  cache: FileCache = new Map(),
): CodeFile[] {
  const root = dirname(resolve(graphFile));
  const files = new Map<string, CodeFile>();
  const visit = (file: string, from: string) => {
    const path = relative(root, file).split(sep).join("/");
    if (files.has(path)) return;
    if (path.startsWith("../") || path === ".." || isAbsolute(path)) {
      throw deployInvalid(
        from,
        `${file} is outside the graph's folder ${root}, and only that folder is shipped to the cluster`,
        "move the module beside the graph, or bake the code into an image given with --image",
      );
    }
    let read = cache.get(file);
    if (!read) {
      const content = readFileSync(file);
      read = { content, imports: relativeImports(content.toString("utf8"), file) };
      cache.set(file, read);
    }
    files.set(path, { path, content: read.content });
    for (const imported of read.imports) visit(imported, `module ${path}`);
  };
  for (const step of steps) {
    for (const { ref, field } of codeRefs(step)) {
      if (ref.startsWith("builtin:")) continue;
      const module = ref.slice(0, ref.lastIndexOf("#") < 0 ? ref.length : ref.lastIndexOf("#"));
      const file = resolve(root, module);
      if (!cache.has(file) && (!existsSync(file) || !statSync(file).isFile())) {
        throw deployInvalid(stepField(step.name, field), `module ${module} not found (looked for ${file})`);
      }
      visit(file, stepField(step.name, field));
    }
  }
  return [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

const importPatterns = [
  /\b(?:import|export)\s[^"'`;]*?\bfrom\s*["'](\.{1,2}\/[^"']+)["']/g,
  /\bimport\s*["'](\.{1,2}\/[^"']+)["']/g,
  /\bimport\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g,
  /\brequire\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g,
];
const tryExtensions = [
  "",
  ".ts",
  ".mts",
  ".js",
  ".mjs",
  ".cjs",
  ".json",
  "/index.ts",
  "/index.js",
  "/index.mjs",
];

/**
 * The files a module imports by relative path. A pattern scan, not a parser: a match in a
 * comment or string only ships one more file, and a specifier that names no file is left to
 * the module loader to report when the step loads.
 */
function relativeImports(source: string, file: string): string[] {
  const found = new Set<string>();
  for (const pattern of importPatterns) {
    for (const match of source.matchAll(pattern)) {
      const target = resolveImport(resolve(dirname(file), match[1] as string));
      if (target) found.add(target);
    }
  }
  return [...found].sort();
}

function resolveImport(base: string): string | undefined {
  // TypeScript modules import `./x.js` for `./x.ts`.
  const candidates = [base, ...tryExtensions.slice(1).map((e) => base + e)];
  if (extname(base) === ".js") candidates.push(`${base.slice(0, -3)}.ts`);
  if (extname(base) === ".mjs") candidates.push(`${base.slice(0, -4)}.mts`);
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

/** ConfigMap keys cannot hold `/`: `lib/steps.mjs` is stored under `lib__steps.mjs`. */
export function configMapKey(path: string): string {
  return path.split("/").join("__");
}

/** Where a graph's files sit in a ConfigMap: `data` (UTF-8 text) or `binaryData` (base64). */
export interface ConfigMapContent {
  data: Record<string, string>;
  binaryData: Record<string, string>;
  items: { key: string; path: string }[];
  bytes: number;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
/** Kubernetes refuses a ConfigMap whose data passes 1 MiB. */
export const configMapLimit = 1024 * 1024;

/** Lays files out as a ConfigMap's keys plus the volume `items` that rebuild the folder. */
export function configMapContent(files: readonly CodeFile[], owner: string): ConfigMapContent {
  const content: ConfigMapContent = { data: {}, binaryData: {}, items: [], bytes: 0 };
  const byKey = new Map<string, string>();
  for (const file of files) {
    const key = configMapKey(file.path);
    if (!/^[-._a-zA-Z0-9]+$/.test(key)) {
      throw deployInvalid(
        owner,
        `the file ${file.path} cannot be a ConfigMap key (letters, digits, '-', '_' and '.' only)`,
        "rename the file, or bake the code into an image given with --image",
      );
    }
    const other = byKey.get(key);
    if (other !== undefined)
      throw deployInvalid(owner, `the files ${other} and ${file.path} would share the ConfigMap key ${key}`);
    byKey.set(key, file.path);
    let text: string | undefined;
    try {
      text = utf8.decode(file.content);
    } catch {
      text = undefined;
    }
    if (text === undefined) content.binaryData[key] = file.content.toString("base64");
    else content.data[key] = text;
    content.items.push({ key, path: file.path });
    // What the API server counts: the key and the value as stored (base64 for binary data).
    content.bytes +=
      key.length + (text === undefined ? (content.binaryData[key]?.length ?? 0) : file.content.length);
  }
  if (content.bytes > configMapLimit) {
    const mib = (content.bytes / configMapLimit).toFixed(2);
    throw deployInvalid(
      owner,
      `the graph and its step modules take ${mib} MiB, past the 1 MiB a ConfigMap holds`,
      "bake the step modules into the runtime image and give it with --image",
    );
  }
  return content;
}

/** A joined path inside a mount, with forward slashes whatever the platform. */
export function mountPath(root: string, path: string): string {
  return join(root, path).split(sep).join("/");
}

/** SHA-1 of what a ConfigMap holds: a pod annotation with it rolls the pods when the code changes. */
export function contentHash(content: ConfigMapContent): string {
  const hash = createHash("sha1");
  for (const { key } of content.items)
    hash.update(`${key}\0${content.data[key] ?? content.binaryData[key]}\0`);
  return hash.digest("hex");
}
