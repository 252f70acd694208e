import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { onTestFinished } from "vitest";
import {
  type CompiledGraph,
  GraphInvalidError,
  type Logger,
  loadGraphText,
  type Problem,
} from "../../src/graph/index.js";

/** Where the graph tests' step modules live; inline graphs resolve modules from here. */
export const graphFixtures = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "graph");

/** A logger that keeps what it is told, for assertions, and prints nothing. */
export function memoryLogger(): Logger & { lines: { level: string; obj: unknown; msg?: string }[] } {
  const lines: { level: string; obj: unknown; msg?: string }[] = [];
  const at =
    (level: string) =>
    (obj: unknown, msg?: string): void => {
      lines.push({ level, obj, ...(msg === undefined ? {} : { msg }) });
    };
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** Compiles an inline YAML graph (modules from test/fixtures/graph), starts it, and closes it after the test. */
export async function graphOf(yaml: string, logger: Logger = memoryLogger()): Promise<CompiledGraph> {
  const graph = await loadGraphText(yaml, join(graphFixtures, "inline.yaml"), { logger });
  onTestFinished(() => graph.close());
  await graph.whenReady();
  return graph;
}

/** The problems an inline YAML graph has (empty when it compiles). */
export async function problemsOf(yaml: string): Promise<Problem[]> {
  try {
    await loadGraphText(yaml, join(graphFixtures, "inline.yaml"), { logger: memoryLogger() });
    return [];
  } catch (error) {
    if (error instanceof GraphInvalidError) return error.problems;
    throw error;
  }
}

/** A graph document around some steps, as YAML. */
export function flow(steps: string, extra = ""): string {
  return `apiVersion: sluice/v1\nkind: Graph\nmetadata: {name: test}\nspec:\n  steps:\n${indent(steps, 4)}\n${indent(extra, 2)}\n`;
}

function indent(text: string, by: number): string {
  const lines = text.replace(/^\n+|\s+$/g, "").split("\n");
  const margin = Math.min(...lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  return lines.map((l) => " ".repeat(by) + l.slice(Number.isFinite(margin) ? margin : 0)).join("\n");
}

/**
 * Writes a graph named `name` whose `spec.steps` are the given YAML lines (indentation is
 * made here) to a temporary folder, with any `files` beside it, and returns the graph's path.
 */
export async function stepsGraphFile(
  name: string,
  steps: string,
  files: Record<string, string> = {},
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `sluice-${name}-`));
  for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
  const indented = steps
    .trim()
    .split("\n")
    .map((l) => `    ${l.trim()}`)
    .join("\n");
  const file = join(dir, `${name}.yaml`);
  await writeFile(
    file,
    `apiVersion: sluice/v1\nkind: Graph\nmetadata: {name: ${name}}\nspec:\n  steps:\n${indented}\n`,
  );
  return file;
}
