import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { type CompileOptions, compileDocument } from "./compile.js";
import type { CompiledGraph } from "./compiled-graph.js";
import type { GraphDocument } from "./document.js";
import { type LoadedDocument, readGraphFile, readGraphText } from "./loader.js";
import { defaultMappingFile, importMlrunServing, readClassMapping } from "./mlrun/index.js";
import { preloadFor } from "./preload.js";
import { GraphInvalidError, type Problem } from "./problems.js";
import { validateDocument } from "./schema.js";

export interface LoadOptions
  extends Partial<
    Pick<
      CompileOptions,
      "logger" | "observeStep" | "observeBreaker" | "queueWriter" | "moduleRoots" | "monitoringSink"
    >
  > {
  /** For MLRun serving functions: the file mapping class names to sluice modules. */
  mapping?: string;
}

/**
 * Reads a graph document from a file, checks it against the schema, and returns it ready to
 * compile. MLRun serving functions (`kind: serving`) are imported on the way.
 */
export async function readGraphDocument(path: string, options: LoadOptions = {}): Promise<PreparedDocument> {
  return prepare(await readGraphFile(path), options);
}

export interface PreparedDocument {
  document: GraphDocument;
  file: string;
  lineOf: (pointer: string) => number | undefined;
  notes: string[];
}

async function prepare(loaded: LoadedDocument, options: LoadOptions): Promise<PreparedDocument> {
  let raw = loaded.raw;
  let lineOf = loaded.lineOf;
  const notes: string[] = [];
  if (isMlrunServing(raw)) {
    const mappingFile = options.mapping ?? join(dirname(loaded.file), defaultMappingFile);
    const mapping = existsSync(mappingFile)
      ? readClassMapping(parseYaml(await readFile(mappingFile, "utf8")), mappingFile)
      : { classes: new Map<string, string>(), handlers: new Map<string, string>() };
    const imported = importMlrunServing(raw, { file: loaded.file, mapping });
    raw = imported.document;
    notes.push(...imported.notes);
    // Problems now point into the converted document, whose lines we do not have.
    lineOf = () => undefined;
  }
  const problems = validateDocument(raw, loaded.file, lineOf);
  if (problems.length > 0) throw new GraphInvalidError(problems);
  return { document: raw as GraphDocument, file: loaded.file, lineOf, notes };
}

function isMlrunServing(raw: unknown): boolean {
  return typeof raw === "object" && raw !== null && (raw as { kind?: unknown }).kind === "serving";
}

/** Reads, validates and compiles a graph file; throws GraphInvalidError with every problem. */
export async function loadGraph(path: string, options: LoadOptions = {}): Promise<CompiledGraph> {
  return compilePrepared(await readGraphDocument(path, options), options);
}

/**
 * Compiles a graph from text (YAML or JSON), as if read from `file`: module paths resolve
 * relative to it. For documents that arrive over the wire (the admin API) and for tests.
 */
export async function loadGraphText(
  text: string,
  file: string,
  options: LoadOptions = {},
): Promise<CompiledGraph> {
  return compilePrepared(await prepare(readGraphText(text, file), options), options);
}

async function compilePrepared(
  { document, file, lineOf }: PreparedDocument,
  options: LoadOptions,
): Promise<CompiledGraph> {
  const { logger, observeStep, observeBreaker, queueWriter, moduleRoots, monitoringSink } = options;
  await preloadFor(document);
  return compileDocument(document, {
    file,
    lineOf,
    ...(logger ? { logger } : {}),
    ...(observeStep ? { observeStep } : {}),
    ...(observeBreaker ? { observeBreaker } : {}),
    ...(queueWriter ? { queueWriter } : {}),
    ...(moduleRoots ? { moduleRoots } : {}),
    ...(monitoringSink ? { monitoringSink } : {}),
  });
}

/** Every problem of a graph file, without running anything (what `sluice validate` prints). */
export async function checkGraphFile(path: string, options: LoadOptions = {}): Promise<Problem[]> {
  try {
    // Compiling loads every module and constructs every class; nothing is started.
    await loadGraph(path, options);
    return [];
  } catch (error) {
    if (error instanceof GraphInvalidError) return error.problems;
    throw error;
  }
}
