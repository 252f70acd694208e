import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Command } from "commander";
import { SluiceError } from "../errors.js";
import {
  type ClassMapping,
  defaultMappingFile,
  importMlrunServing,
  readClassMapping,
} from "../graph/mlrun/index.js";

interface ImportOptions {
  mapping?: string;
  output?: string;
}

// Loaded on demand, so other commands do not pay for the YAML library here.
const yamlFiles = () => import("./yaml-file.js");

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
      const { readYaml, stringify, withLines } = await yamlFiles();
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
  const { readYaml, withLines } = await yamlFiles();
  const mapping = await readYaml(path);
  return withLines(mapping, () => readClassMapping(mapping.raw, path));
}
