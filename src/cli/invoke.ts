import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { isSluiceError, SluiceError } from "../errors.js";
import { parseDurationFlag } from "./options.js";

interface InvokeOptions {
  body?: string;
  bodyFile?: string;
  path: string;
  method: string;
  header?: string[];
  mapping?: string;
  timeout?: string;
}

/** Reads --body-file; a file that cannot be read is the caller's mistake (exit 1), named. */
async function readBodyFile(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new SluiceError("SLUICE_ERR_INPUT", `--body-file ${file}: cannot read it (${code})`);
  }
}

/** The result as JSON text; one JSON cannot hold (BigInt, a cycle, a function) is a clear failure. */
function resultJson(result: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(result ?? null, null, 2);
  } catch (error) {
    throw new SluiceError(
      "SLUICE_ERR_STEP_FAILED",
      `the graph's result cannot be written as JSON: ${(error as Error).message}`,
    );
  }
  if (text === undefined) {
    throw new SluiceError(
      "SLUICE_ERR_STEP_FAILED",
      `the graph's result cannot be written as JSON (a ${typeof result})`,
    );
  }
  return text;
}

/** Rejects after `ms` with a timeout naming what it waited on. */
function deadline(ms: number, what: string): { promise: Promise<never>; clear: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new SluiceError("SLUICE_ERR_STEP_TIMEOUT", `${what} did not finish within ${ms} ms (--timeout)`),
        ),
      ms,
    );
  });
  return { promise, clear: () => clearTimeout(timer) };
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
 * and exits with its error's code (3 for a runtime failure). `--timeout` bounds it all.
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
    .option("--timeout <duration>", "give up (exit 3) when loading, starting and running take longer", "60s")
    .action(async (file: string, options: InvokeOptions) => {
      const timeoutMs = parseDurationFlag(options.timeout ?? "60s", "--timeout");
      if (options.body !== undefined && options.bodyFile !== undefined) {
        throw new SluiceError("SLUICE_ERR_USAGE", "give --body or --body-file, not both");
      }
      const body =
        options.bodyFile !== undefined
          ? parseJson(await readBodyFile(options.bodyFile), options.bodyFile)
          : options.body !== undefined
            ? parseJson(options.body, "--body")
            : undefined;
      const headers = parseHeaders(options.header);
      // Imported here, not at the top: `sluice --help` should not pay for loading the graph engine.
      const { loadGraph } = await import("../graph/index.js");
      const limit = deadline(timeoutMs, `the graph ${file}`);
      // Nothing may keep the process waiting: a step that never settles ends in exit 3.
      limit.promise.catch((error: SluiceError) => {
        // User code that never settles may also hold timers open: leave now, as serve does.
        process.stderr.write(`${JSON.stringify({ error: error.message })}\n`);
        process.exit(error.exitCode);
      });
      let graph: Awaited<ReturnType<typeof loadGraph>>;
      try {
        graph = await Promise.race([
          loadGraph(file, options.mapping ? { mapping: options.mapping } : {}),
          limit.promise,
        ]);
      } catch (error) {
        limit.clear();
        throw error;
      }
      try {
        await Promise.race([graph.whenReady(), limit.promise]);
        const result = await Promise.race([
          graph.invoke({ body, path: options.path, method: options.method.toUpperCase(), headers }),
          limit.promise,
        ]);
        await Promise.race([graph.drain(), limit.promise]);
        process.stdout.write(`${resultJson(result)}\n`);
      } catch (error) {
        if (!isSluiceError(error) && !(error instanceof Error)) throw error;
        process.stderr.write(`${JSON.stringify({ error: error.message })}\n`);
        // A runtime failure is exit 3 (the README's table); a caller's mistake keeps its own code.
        process.exitCode = isSluiceError(error) ? error.exitCode : 3;
      } finally {
        limit.clear();
        await Promise.race([graph.close(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
      }
    });
}
