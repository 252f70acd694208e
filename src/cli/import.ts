import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Command } from "commander";
import { type Document, isNode, LineCounter, parseDocument, stringify } from "yaml";
import { SluiceError } from "../errors.js";
import { defaultMappingFile, GraphInvalidError } from "../graph/index.js";
import { type ClassMapping, importMlrunServing, readClassMapping } from "../graph/mlrun/index.js";

interface ImportOptions {
  mapping?: string;
  output?: string;
}

/**
 * `sluice import mlrun <function.yaml> [--mapping <file>] [-o <file>]`: converts an MLRun serving
 * function into a sluice graph, printed as YAML (or written to `-o`), with notes on stderr.
 */
export function registerImport(program: Command): void {
  program
    .command("import")
    .argument("<source>", "where the file comes from: mlrun")
    .argument("<file>", "an MLRun serving function (function.yaml)")
    .description("convert an MLRun serving function into a sluice graph")
    .option(
      "--mapping <file>",
      `MLRun class and handler names → sluice modules (default: ${defaultMappingFile})`,
    )
    .option("-o, --output <file>", "write the graph to this file instead of stdout")
    .action(async (source: string, file: string, options: ImportOptions) => {
      if (source !== "mlrun") {
        throw new SluiceError(
          "SLUICE_ERR_USAGE",
          `cannot import from "${source}": the only source is mlrun`,
          {
            hint: "sluice import mlrun function.yaml --mapping mapping.yaml",
          },
        );
      }
      const fn = await readYaml(file);
      const mapping = await readMapping(file, options.mapping);
      const { document, notes } = withLines(fn, () => importMlrunServing(fn.raw, { file, mapping }));
      const text = `# imported from ${basename(file)} by \`sluice import mlrun\`\n${stringify(document, { lineWidth: 0 })}`;
      if (options.output === undefined) process.stdout.write(text);
      else await writeFile(options.output, text);
      for (const note of notes) process.stderr.write(`note: ${note}\n`);
      if (options.output !== undefined) process.stderr.write(`wrote ${options.output}\n`);
    });
}

/** The mapping named by --mapping, else the conventional one beside the function, else none. */
async function readMapping(file: string, option: string | undefined): Promise<ClassMapping> {
  const path = option ?? join(dirname(file), defaultMappingFile);
  if (option === undefined && !existsSync(path)) return { classes: new Map(), handlers: new Map() };
  const mapping = await readYaml(path);
  return withLines(mapping, () => readClassMapping(mapping.raw, path));
}

interface YamlFile {
  file: string;
  raw: unknown;
  doc: Document;
  lines: LineCounter;
}

async function readYaml(file: string): Promise<YamlFile> {
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
function withLines<T>(yaml: YamlFile, read: () => T): T {
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
