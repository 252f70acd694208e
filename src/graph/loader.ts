import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { GraphInvalidError, type Problem, pointer, stepOfPointer } from "./problems.js";

/** A graph file, parsed but not yet validated. */
export interface LoadedDocument {
  file: string;
  format: "yaml" | "json";
  /** The parsed document, to be checked by validateDocument(). */
  raw: unknown;
  /** The 1-based line of the node at a JSON pointer (of its nearest existing parent if absent). */
  lineOf(pointer: string): number | undefined;
}

/**
 * Reads and parses a graph file: `.json` as JSON, anything else as YAML.
 * @throws GraphInvalidError when the file is missing, empty, not valid YAML/JSON, or unsafe.
 */
export async function readGraphFile(path: string): Promise<LoadedDocument> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new GraphInvalidError([{ file: path, pointer: "", message: readFailure(error) }]);
  }
  return readGraphText(text, path);
}

/**
 * Parses the text of a graph file; `file` names it in problems and picks the format.
 * @throws GraphInvalidError when the text is empty, not valid YAML/JSON, or unsafe.
 */
/** How deep `[`/`{` may nest in a graph document: far beyond any real one, far below a stack's limit. */
export const maxNesting = 200;

/**
 * The deepest `[`/`{` nesting in `text`, outside quoted strings, stopping once past `limit`.
 * Checked before parsing: a 100k-deep document would overflow the parsers' stacks.
 */
function nestingDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 || c === 39) {
      // Skip a quoted string ("..." with \ escapes, '...' with '' escapes).
      for (i++; i < text.length && text.charCodeAt(i) !== c; i++)
        if (c === 34 && text.charCodeAt(i) === 92) i++;
    } else if (c === 91 || c === 123) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if ((c === 93 || c === 125) && depth > 0) depth--;
  }
  return deepest;
}

export function readGraphText(text: string, file: string): LoadedDocument {
  if (nestingDepth(text, maxNesting) > maxNesting) {
    const message = `the document is too deeply nested (more than ${maxNesting} levels of [ or {)`;
    throw new GraphInvalidError([{ file, pointer: "", message }]);
  }
  const loaded = extname(file).toLowerCase() === ".json" ? parseJson(text, file) : parseYaml(text, file);
  if (loaded.raw === null || loaded.raw === undefined) {
    throw new GraphInvalidError([{ file, pointer: "", line: 1, message: "the document is empty" }]);
  }
  const unsafe = unsafeKeys(loaded.raw).map((at) => {
    const key = segmentsOf(at).at(-1) ?? "";
    return located(file, at, loaded.lineOf(at), `unsafe key "${key}": not allowed in a graph document`);
  });
  if (unsafe.length > 0) throw new GraphInvalidError(unsafe);
  return loaded;
}

function readFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "file not found";
  if (code === "EISDIR") return "is a directory, not a graph file";
  if (code === "EACCES") return "permission denied";
  return `cannot read the file: ${error instanceof Error ? error.message : String(error)}`;
}

/** How many nodes one alias may expand to: guards against alias bombs ("billion laughs"). */
const maxAliasCount = 100;

function parseYaml(text: string, file: string): LoadedDocument {
  const { doc, lineCounter } = parseSource(text);
  const lineOfOffset = (offset: number) => lineCounter.linePos(offset).line;
  const error = doc.errors[0];
  if (error) {
    const message =
      error.code === "MULTIPLE_DOCS"
        ? "several YAML documents in one file; a graph file holds one"
        : `invalid YAML: ${firstLine(error.message)}`;
    throw new GraphInvalidError([{ file, pointer: "", line: lineOfOffset(error.pos[0]), message }]);
  }
  rejectDuplicateKeys(doc, file, lineOfOffset);
  const lineOf = yamlLineOf(doc, lineOfOffset);
  let raw: unknown;
  try {
    // maxAliasCount guards against alias bombs ("billion laughs").
    raw = doc.toJS({ maxAliasCount });
  } catch (cause) {
    const why = firstLine(cause instanceof Error ? cause.message : String(cause));
    const message = /alias count/i.test(why)
      ? `invalid YAML: its aliases expand too much (more than ${maxAliasCount} expansions per alias): an alias bomb?`
      : `invalid YAML: ${why}`;
    throw new GraphInvalidError([{ file, pointer: "", message }]);
  }
  return { file, format: "yaml", raw, lineOf };
}

function parseJson(text: string, file: string): LoadedDocument {
  const source = text.replace(/^\uFEFF/, "");
  if (source.trim() === "") return { file, format: "json", raw: null, lineOf: () => undefined };
  let raw: unknown;
  try {
    // JSON.parse makes `__proto__` an own property; it never sets a prototype.
    raw = JSON.parse(source);
  } catch (cause) {
    throw new GraphInvalidError([jsonSyntaxProblem(source, file, cause)]);
  }
  // JSON is YAML too: its syntax tree gives the lines and catches duplicate keys, which
  // JSON.parse silently drops. Best effort: exotic JSON the YAML parser rejects has no lines.
  const { doc, lineCounter } = parseSource(source);
  if (doc.errors.length > 0) return { file, format: "json", raw, lineOf: () => undefined };
  const lineOfOffset = (offset: number) => lineCounter.linePos(offset).line;
  rejectDuplicateKeys(doc, file, lineOfOffset);
  return { file, format: "json", raw, lineOf: yamlLineOf(doc, lineOfOffset) };
}

function parseSource(text: string): { doc: Document; lineCounter: LineCounter } {
  const lineCounter = new LineCounter();
  // uniqueKeys off: rejectDuplicateKeys() reports duplicates with their pointer and step.
  // logLevel error: the library must not print warnings on our users' consoles.
  // merge: YAML 1.1 merge keys (`<<: *defaults`), which graph files use to share step settings.
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: false,
    logLevel: "error",
    merge: true,
  });
  return { doc, lineCounter };
}

function firstLine(message: string): string {
  return message.split("\n", 1)[0] ?? message;
}

function jsonSyntaxProblem(text: string, file: string, cause: unknown): Problem {
  const message = cause instanceof Error ? cause.message : String(cause);
  const position = /at position (\d+)/.exec(message)?.[1];
  const end = /end of JSON input/.test(message);
  const line =
    position !== undefined
      ? text.slice(0, Number(position)).split("\n").length
      : end
        ? text.split("\n").length
        : undefined;
  const short = message.replace(/ in JSON at position \d+.*$/, "").replace(/ \(line \d+ column \d+\)$/, "");
  return { file, pointer: "", ...(line === undefined ? {} : { line }), message: `invalid JSON: ${short}` };
}

/** Maps a JSON pointer to the line of its key (map entry) or item (sequence entry). */
function yamlLineOf(doc: Document, lineOfOffset: (offset: number) => number) {
  return (at: string): number | undefined => {
    let node: unknown = doc.contents;
    let offset = startOf(node);
    for (const segment of segmentsOf(at)) {
      if (isAlias(node)) node = node.resolve(doc);
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === segment);
        if (pair === undefined) break;
        offset = startOf(pair.key) ?? offset;
        node = pair.value;
      } else if (isSeq(node) && /^\d+$/.test(segment) && node.items[Number(segment)] !== undefined) {
        node = node.items[Number(segment)];
        offset = startOf(node) ?? offset;
      } else {
        break;
      }
    }
    return offset === undefined ? undefined : lineOfOffset(offset);
  };
}

function startOf(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0];
}

function segmentsOf(at: string): string[] {
  return at
    .split("/")
    .slice(1)
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
}

/** A key written twice would silently lose a step or a setting: say where, with both lines. */
function rejectDuplicateKeys(doc: Document, file: string, lineOfOffset: (offset: number) => number): void {
  const problems: Problem[] = [];
  const lineOfNode = (node: unknown) => {
    const offset = startOf(node);
    return offset === undefined ? undefined : lineOfOffset(offset);
  };
  const walk = (node: unknown, path: string[]): void => {
    if (isMap(node)) {
      const firstLines = new Map<string, number | undefined>();
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        if (!firstLines.has(key)) {
          firstLines.set(key, lineOfNode(pair.key));
          walk(pair.value, [...path, key]);
          continue;
        }
        const first = firstLines.get(key);
        const where = first === undefined ? "" : ` (first at line ${first})`;
        problems.push(
          located(file, pointer(...path, key), lineOfNode(pair.key), `duplicate key "${key}"${where}`),
        );
      }
    } else if (isSeq(node)) {
      for (const [index, item] of node.items.entries()) walk(item, [...path, String(index)]);
    }
    // Aliases are not followed: their target is walked where it is defined.
  };
  walk(doc.contents, []);
  if (problems.length > 0) throw new GraphInvalidError(problems);
}

const unsafeKeyNames = new Set(["__proto__", "constructor", "prototype"]);

/** Pointers of keys that could reach an object's prototype once the document is used. */
function unsafeKeys(raw: unknown): string[] {
  const found: string[] = [];
  const seen = new Set<unknown>();
  const walk = (value: unknown, path: string[]): void => {
    // YAML aliases share objects (and may form cycles): visit each once.
    if (typeof value !== "object" || value === null || seen.has(value)) return;
    seen.add(value);
    // Object.keys sees an own `__proto__` key, which both parsers create instead of a prototype.
    for (const [key, child] of Object.entries(value)) {
      if (unsafeKeyNames.has(key)) found.push(pointer(...path, key));
      else walk(child, [...path, key]);
    }
  };
  walk(raw, []);
  return found;
}

/** A problem at a pointer, with the step it lies in. */
function located(file: string, at: string, line: number | undefined, message: string): Problem {
  const step = stepOfPointer(at);
  return {
    file,
    pointer: at,
    ...(step === undefined ? {} : { step }),
    ...(line === undefined ? {} : { line }),
    message,
  };
}
