import { dirname, resolve } from "node:path";
import { type LoadedDocument, readGraphFile, readGraphText } from "../../graph/loader.js";
import { GraphInvalidError, type Problem } from "../../graph/problems.js";
import { FunctionObject } from "../function-object.js";
import { functionHash } from "../hash.js";
import { FunctionInvalidError } from "../problems.js";
import { validateFunctionDocument } from "../schema/validate.js";
import type { AnyFunctionDocument } from "../types.js";
import { normaliseFunctionDocument } from "./mlrun.js";

/** A function read from a document, with what the reader had to say about it. */
export interface LoadedFunction {
  fn: FunctionObject;
  /** Settings of an MLRun export that were dropped or rewritten, one line each. */
  notes: string[];
  /** Where the document came from (a file path or a URL), for messages. */
  file: string;
  /** What relative paths in the document (its `command`) resolve against: a directory or a URL. */
  base: string;
  fromMlrun: boolean;
}

/**
 * Reads a function document (YAML, or JSON for `.json`), in sluice's shape or an MLRun
 * function.yaml, and checks it against its kind's schema.
 * @throws FunctionInvalidError listing every problem, with file, line and field.
 */
export async function readFunctionFile(path: string): Promise<LoadedFunction> {
  const loaded = await asFunctionProblems(() => readGraphFile(path));
  return functionFromLoaded(loaded, dirname(resolve(path)));
}

/** A file `sluice functions import` reads: one function, or a FunctionList (an export). */
export type FunctionSource =
  | { type: "function"; loaded: LoadedFunction }
  | { type: "list"; raw: unknown; file: string; base: string };

export async function readFunctionSource(path: string): Promise<FunctionSource> {
  const loaded = await asFunctionProblems(() => readGraphFile(path));
  const base = dirname(resolve(path));
  const kind = (loaded.raw as { kind?: unknown } | null)?.kind;
  if (kind === "FunctionList") return { type: "list", raw: loaded.raw, file: path, base };
  return { type: "function", loaded: functionFromLoaded(loaded, base) };
}

/** Like readFunctionFile, from text; `file` names it (and picks JSON for `.json`), `base` resolves its paths. */
export function readFunctionText(text: string, file: string, base = process.cwd()): LoadedFunction {
  const loaded = syncFunctionProblems(() => readGraphText(text, file));
  return functionFromLoaded(loaded, base);
}

/** Checks a parsed document (from YAML, JSON or code). @throws FunctionInvalidError */
export function functionFromRaw(
  raw: unknown,
  file: string,
  base = process.cwd(),
  lineOf?: (pointer: string) => number | undefined,
): LoadedFunction {
  const { doc, notes, fromMlrun } = normaliseFunctionDocument(raw);
  const problems = validateFunctionDocument(doc, file, lineOf);
  if (problems.length > 0) throw new FunctionInvalidError(problems);
  const fn = new FunctionObject(doc as AnyFunctionDocument);
  // MLRun hashes differently; a sluice document whose recorded hash is stale is worth a word.
  const recorded = fn.metadata.hash;
  if (recorded !== undefined) {
    if (!fromMlrun && recorded !== functionHash(doc as object)) {
      notes.push(
        `metadata.hash ${recorded.slice(0, 12)} does not match the content; its hash is ${fn.hash.slice(0, 12)}`,
      );
    }
    delete fn.metadata.hash;
  }
  return { fn, notes, file, base, fromMlrun };
}

function functionFromLoaded(loaded: LoadedDocument, base: string): LoadedFunction {
  return functionFromRaw(loaded.raw, loaded.file, base, loaded.lineOf);
}

/** The graph loader speaks of graph files; the same problems in a function file say so. */
function reword(problems: Problem[]): Problem[] {
  return problems.map((p) => ({
    ...p,
    message: p.message
      .replaceAll("graph document", "function document")
      .replaceAll("graph file", "function file"),
  }));
}

async function asFunctionProblems<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof GraphInvalidError) throw new FunctionInvalidError(reword(error.problems));
    throw error;
  }
}

function syncFunctionProblems<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof GraphInvalidError) throw new FunctionInvalidError(reword(error.problems));
    throw error;
  }
}
