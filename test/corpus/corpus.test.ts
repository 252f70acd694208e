import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { sluice } from "../helpers/cli.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const expected = JSON.parse(readFileSync(join(here, "expected.json"), "utf8")) as Record<
  string,
  { exit: number; message: string }
>;
const files = readdirSync(join(here, "graphs")).sort();

/** Runs `work` over `items`, `limit` at a time (each one spawns a process; the machine is shared). */
async function inBatches<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += limit)
    results.push(...(await Promise.all(items.slice(i, i + limit).map(work))));
  return results;
}

describe("the corpus of invalid graphs", () => {
  it("holds at least 60 documents, each with its expected exit code and message", () => {
    expect(files.length).toBeGreaterThanOrEqual(60);
    expect(Object.keys(expected).sort()).toEqual(files);
  });

  it("every invalid graph gets its exit code and one line naming the file and what is wrong", {
    timeout: 120_000,
  }, async () => {
    const outcomes = await inBatches(files, 4, async (file) => {
      const { code, stdout, stderr } = await sluice("validate", `test/corpus/graphs/${file}`);
      const first = `${stdout}${stderr}`.trim().split("\n")[0] ?? "";
      return { file, code, named: first.includes(file), message: first };
    });
    for (const outcome of outcomes) {
      const want = expected[outcome.file] as { exit: number; message: string };
      expect({ file: outcome.file, code: outcome.code, named: outcome.named }).toEqual({
        file: outcome.file,
        code: want.exit,
        named: true,
      });
      expect(outcome.message, outcome.file).toContain(want.message);
    }
  });
});
