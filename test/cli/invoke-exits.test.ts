import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sluice } from "../helpers/cli.js";

const fixture = (name: string) => `test/fixtures/gateway/${name}`;

function tempFile(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "sluice-invoke-")), name);
  writeFileSync(file, text);
  return file;
}

describe("sluice invoke exits as the README says", () => {
  it("a step failing at run time is exit 3", async () => {
    const result = await sluice("invoke", fixture("invoke-fails.yaml"), "--body", "{}");
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("it broke");
  });

  it("a result JSON cannot hold is a clear error (exit 3), never `undefined` with exit 0", async () => {
    const result = await sluice("invoke", fixture("invoke-big-result.yaml"), "--body", "{}");
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("the graph's result cannot be written as JSON");
    expect(result.stdout).not.toContain("undefined");
  });

  it("a missing --body-file is exit 1 naming the file", async () => {
    const result = await sluice("invoke", fixture("flow.yaml"), "--body-file", "/nonexistent/body.json");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("--body-file /nonexistent/body.json: cannot read it (ENOENT)");
  });

  it("a step that never starts ends with exit 3 at --timeout, naming the graph", async () => {
    const result = await sluice("invoke", "--timeout", "1s", fixture("never-starts.yaml"), "--body", "{}");
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("did not finish within 1000 ms (--timeout)");
  });

  it("a 100k-deep JSON graph is 'too deeply nested' with exit 1, not a stack overflow", async () => {
    const file = tempFile("deep.json", `{"a":${"[".repeat(100_000)}${"]".repeat(100_000)}}`);
    const result = await sluice("validate", file);
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain("too deeply nested");
  });

  it("YAML merge keys work", async () => {
    const file = tempFile(
      "merge.yaml",
      "apiVersion: sluice/v1\nkind: Graph\nmetadata: {name: m}\nspec:\n  steps:\n    a: &base {handler: builtin:set, args: {fields: {x: 1}}}\n    b: {<<: *base, after: [a]}\n",
    );
    const result = await sluice("invoke", file, "--body", "{}");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ x: 1 });
  });
});
