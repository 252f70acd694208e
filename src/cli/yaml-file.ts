import { readFile } from "node:fs/promises";
import { type Document, isNode, LineCounter, parseDocument } from "yaml";
import { GraphInvalidError } from "../graph/problems.js";

/** A YAML file as read by `sluice import`: its value, and its syntax tree for line numbers. */
export interface YamlFile {
  file: string;
  raw: unknown;
  doc: Document;
  lines: LineCounter;
}

export async function readYaml(file: string): Promise<YamlFile> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    const why = (cause as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : String(cause);
    throw new GraphInvalidError([{ file, pointer: "", message: why }]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const error = doc.errors[0];
  if (error) {
    const line = lines.linePos(error.pos[0]).line;
    throw new GraphInvalidError([
      { file, pointer: "", line, message: `invalid YAML: ${error.message.split("\n")[0]}` },
    ]);
  }
  return { file, raw: doc.toJS({ maxAliasCount: 100 }), doc, lines };
}

/** Runs `read`; problems it throws about `yaml`'s file get that file's line numbers. */
export function withLines<T>(yaml: YamlFile, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof GraphInvalidError)) throw error;
    const problems = error.problems.map((p) => {
      const line = p.file === yaml.file && p.line === undefined ? lineOf(yaml, p.pointer) : undefined;
      return line === undefined ? p : { ...p, line };
    });
    throw new GraphInvalidError(problems);
  }
}

/** The line of the node at a JSON pointer, or of its nearest parent when the field is absent. */
function lineOf({ doc, lines }: YamlFile, pointer: string): number | undefined {
  const path = pointer
    .split("/")
    .slice(1)
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}

export { stringify } from "yaml";
