import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { isSluiceError, SluiceError } from "../errors.js";

interface InvokeOptions {
  body?: string;
  bodyFile?: string;
  path: string;
  method: string;
  header?: string[];
  mapping?: string;
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SluiceError("SLUICE_ERR_INPUT", `${where} is not valid JSON: ${(error as Error).message}`);
  }
}

function parseHeaders(pairs: string[] = []): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of pairs) {
    const colon = pair.indexOf(":");
    if (colon <= 0) throw new SluiceError("SLUICE_ERR_USAGE", `--header "${pair}" is not K:V`);
    headers[pair.slice(0, colon).trim().toLowerCase()] = pair.slice(colon + 1).trim();
  }
  return headers;
}

/**
 * `sluice invoke`: runs one event through a graph in this process, like MLRun's mock server.
 * The response body goes to stdout as JSON; a failing graph prints `{"error": ...}` on stderr
 * and exits 1.
 */
export function registerInvoke(program: Command): void {
  program
    .command("invoke")
    .argument("<graph>", "graph document")
    .description("run one event through a graph in-process; the response body on stdout as JSON")
    .option("--body <json>", "request body (JSON)")
    .option("--body-file <file>", "request body from a JSON file")
    .option("--path <path>", "request path", "/")
    .option("--method <method>", "request method", "POST")
    .option("--header <k:v...>", "request header (repeatable)")
    .option("--mapping <file>", "class mapping for MLRun serving functions")
    .action(async (file: string, options: InvokeOptions) => {
      if (options.body !== undefined && options.bodyFile !== undefined) {
        throw new SluiceError("SLUICE_ERR_USAGE", "give --body or --body-file, not both");
      }
      const body =
        options.bodyFile !== undefined
          ? parseJson(await readFile(options.bodyFile, "utf8"), options.bodyFile)
          : options.body !== undefined
            ? parseJson(options.body, "--body")
            : undefined;
      const headers = parseHeaders(options.header);
      // Imported here, not at the top: `sluice --help` should not pay for loading the graph engine.
      const { loadGraph } = await import("../graph/index.js");
      const graph = await loadGraph(file, options.mapping ? { mapping: options.mapping } : {});
      await graph.whenReady();
      try {
        const result = await graph.invoke({
          body,
          path: options.path,
          method: options.method.toUpperCase(),
          headers,
        });
        await graph.drain();
        process.stdout.write(`${JSON.stringify(result ?? null, null, 2)}\n`);
      } catch (error) {
        if (!isSluiceError(error) && !(error instanceof Error)) throw error;
        process.stderr.write(`${JSON.stringify({ error: error.message })}\n`);
        process.exitCode = 1;
      } finally {
        await graph.close();
      }
    });
}
