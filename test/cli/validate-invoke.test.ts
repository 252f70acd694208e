import { describe, expect, it } from "vitest";
import { sluice } from "../helpers/cli.js";

describe("sluice validate", () => {
  it("prints ok for each valid graph and exits 0", async () => {
    const { code, stdout } = await sluice(
      "validate",
      "examples/inference/graph.yaml",
      "examples/enrichment/graph.yaml",
    );
    expect(code).toBe(0);
    expect(stdout).toBe("examples/inference/graph.yaml: ok\nexamples/enrichment/graph.yaml: ok\n");
  });

  it("prints one line per problem with file, line, step and field, and exits 1", async () => {
    const { code, stdout, stderr } = await sluice("validate", "test/fixtures/cli/broken.yaml");
    expect(code).toBe(1);
    expect(stderr).toBe("");
    expect(stdout.trim().split("\n")).toEqual([
      'test/fixtures/cli/broken.yaml:8: step "c": /spec/steps/c/colour: unknown field "colour"',
    ]);
  });

  it("reports the semantic problems once the schema is satisfied", async () => {
    const { mkdtemp, writeFile, readFile } = await import("node:fs/promises");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = await mkdtemp(join(tmpdir(), "sluice-validate-"));
    const text = (await readFile("test/fixtures/cli/broken.yaml", "utf8")).replace(", colour: red", "");
    await writeFile(join(dir, "g.yaml"), text);
    const { code, stdout } = await sluice("validate", join(dir, "g.yaml"));
    expect(code).toBe(1);
    expect(stdout.trim().split("\n")).toEqual([
      `${join(dir, "g.yaml")}:7: step "b": /spec/steps/b/after/1: unknown step "ghost" in after (known: a, b, c)`,
      expect.stringMatching(/:6: step "a": \/spec\/steps\/a\/handler: module \.\/nowhere\.mjs not found/),
    ]);
  });
});

describe("sluice invoke", () => {
  it("prints the response body as JSON", async () => {
    const { code, stdout } = await sluice(
      "invoke",
      "examples/enrichment/graph.yaml",
      "--body",
      '{"user":"u1","amount":250,"country":"NL"}',
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ approved: true, tier: "gold" });
  });

  it("passes --path, --method and --header to the event", async () => {
    const { code, stdout } = await sluice(
      "invoke",
      "examples/inference/graph.yaml",
      "--path",
      "/v2/models/iris/versions/v2/infer",
      "--header",
      "x-request-id: abc",
      "--body",
      '{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP32","data":[6.0,2.9,2.2,1.0]}]}',
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ model_version: "v2", summary: "versicolor" });
  });

  it("prints {error} on stderr and exits 1 when the graph fails", async () => {
    const { code, stdout, stderr } = await sluice(
      "invoke",
      "examples/inference/graph.yaml",
      "--path",
      "/v2/models/nope/infer",
      "--body",
      '{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP32","data":[6.0,2.9,2.2,1.0]}]}',
    );
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(JSON.parse(stderr)).toEqual({
      error: 'step "models" failed: model "nope" not found; known models: iris, iris:v2',
    });
  });

  it("rejects a body that is not JSON with one line and exit 1", async () => {
    const { code, stderr } = await sluice("invoke", "examples/enrichment/graph.yaml", "--body", "{nope");
    expect(code).toBe(1);
    expect(stderr.split("\n")[0]).toMatch(/^sluice: --body is not valid JSON: /);
  });

  it("rejects an invalid graph with its first problem and a hint, exit 1", async () => {
    const { code, stderr } = await sluice("invoke", "test/fixtures/cli/broken.yaml", "--body", "{}");
    expect(code).toBe(1);
    expect(stderr).toBe(
      'sluice: test/fixtures/cli/broken.yaml:8: step "c": /spec/steps/c/colour: unknown field "colour"\n',
    );
  });
});
