import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { SluiceError } from "../errors.js";
import type { GraphDocument } from "../graph/document.js";
import { drawFormats, isDrawFormat } from "../graph/draw/formats.js";

interface GraphOptions {
  format: string;
  output?: string;
  mapping?: string;
}

/**
 * `sluice graph <graph> [--format mermaid|dot|svg] [-o file]`: draws a graph's DAG on stdout,
 * or into a file. The document is drawn as written; `sluice validate` reports its problems.
 */
export function registerGraph(program: Command): void {
  program
    .command("graph")
    .argument("<graph>", "graph document (YAML or JSON)")
    .description("draw a graph's DAG")
    .option("--format <format>", drawFormats.join(" | "), "mermaid")
    .option("-o, --output <file>", "write the drawing to a file instead of stdout")
    .option("--mapping <file>", "class mapping for MLRun serving functions")
    .action(async (file: string, options: GraphOptions) => {
      // Checked before reading, so a typo costs nothing and says what would work.
      if (!isDrawFormat(options.format)) {
        throw new SluiceError("SLUICE_ERR_USAGE", `unknown --format "${options.format}"`, {
          hint: `use one of: ${drawFormats.join(", ")}`,
        });
      }
      // Loaded on demand, so other commands do not pay for the parser and the drawing code.
      const [{ drawGraph }, { readGraphDocument }, { readGraphFile }] = await Promise.all([
        import("../graph/draw/index.js"),
        import("../graph/load.js"),
        import("../graph/loader.js"),
      ]);
      const { raw } = await readGraphFile(file);
      // An MLRun serving function is drawn as the sluice graph it imports to.
      const document =
        (raw as { kind?: unknown } | null)?.kind === "serving"
          ? (await readGraphDocument(file, options.mapping ? { mapping: options.mapping } : {})).document
          : asGraph(raw, file);
      const drawing = drawGraph(document, options.format);
      if (options.output === undefined) process.stdout.write(drawing);
      else await writeFile(options.output, drawing);
    });
}

/** Only what drawing needs: an object with a `spec`; everything else is drawn as written. */
function asGraph(raw: unknown, file: string): GraphDocument {
  const spec = (raw as { spec?: unknown } | null)?.spec;
  if (typeof raw !== "object" || raw === null || typeof spec !== "object" || spec === null) {
    throw new SluiceError("SLUICE_ERR_GRAPH_INVALID", `${file}: not a graph document (no spec)`, {
      hint: `run \`sluice validate ${file}\``,
    });
  }
  return raw as GraphDocument;
}
