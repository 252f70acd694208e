import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readGraphFile, readGraphText } from "../../src/graph/loader.js";
import { GraphInvalidError, type Problem } from "../../src/graph/problems.js";

const example = [
  "apiVersion: sluice/v1", // 1
  "kind: Graph", // 2
  "metadata: {name: fraud}", // 3
  "spec:", // 4
  "  steps:", // 5
  "    parse: {handler: ./steps.mjs#parse}", // 6
  "    enrich: {class: ./steps.mjs#Enricher, after: [parse],", // 7
  "             result_path: user_info}", // 8
  "    models:", // 9
  "      kind: router", // 10
  "      routes:", // 11
  "        fraud:v2: {kind: model, class: ./m.mjs#F, args: {a/b: 1}}", // 12
  "  triggers:", // 13
  "    - {kind: http}", // 14
  "    - kind: nats", // 15
  "      url: nats://n:4222", // 16
  "",
].join("\n");

/** The problems a GraphInvalidError carries, or a failure when nothing (or something else) is thrown. */
function problemsThrownBy(read: () => unknown): Problem[] {
  try {
    read();
  } catch (error) {
    if (error instanceof GraphInvalidError) return error.problems;
    throw error;
  }
  throw new Error("expected a GraphInvalidError");
}

async function problemsThrownByAsync(read: () => Promise<unknown>): Promise<Problem[]> {
  const error = await read().then(
    () => new Error("expected a GraphInvalidError"),
    (e: unknown) => e,
  );
  if (error instanceof GraphInvalidError) return error.problems;
  throw error;
}

describe("YAML documents", () => {
  it("parse into a plain object, with the file and format", () => {
    const loaded = readGraphText(example, "graph.yaml");
    expect(loaded.file).toBe("graph.yaml");
    expect(loaded.format).toBe("yaml");
    expect(loaded.raw).toMatchObject({
      metadata: { name: "fraud" },
      spec: { steps: { parse: { handler: "./steps.mjs#parse" } } },
    });
  });

  it("give the line of any field by its JSON pointer", () => {
    const { lineOf } = readGraphText(example, "graph.yaml");
    expect(lineOf("")).toBe(1);
    expect(lineOf("/metadata/name")).toBe(3);
    expect(lineOf("/spec/steps")).toBe(5);
    expect(lineOf("/spec/steps/enrich")).toBe(7);
    expect(lineOf("/spec/steps/enrich/after/0")).toBe(7);
    expect(lineOf("/spec/steps/enrich/result_path")).toBe(8);
    expect(lineOf("/spec/steps/models/routes/fraud:v2/class")).toBe(12);
    expect(lineOf("/spec/steps/models/routes/fraud:v2/args/a~1b")).toBe(12);
    expect(lineOf("/spec/triggers/1")).toBe(15);
    expect(lineOf("/spec/triggers/1/url")).toBe(16);
  });

  it("give the line of the nearest existing parent for a missing field", () => {
    const { lineOf } = readGraphText(example, "graph.yaml");
    expect(lineOf("/spec/steps/models/type")).toBe(9);
    expect(lineOf("/spec/triggers/1/subject")).toBe(15);
    expect(lineOf("/spec/triggers/7")).toBe(13);
  });

  it("are read from any extension but .json", () => {
    expect(readGraphText(example, "graph.yml").format).toBe("yaml");
    expect(readGraphText(example, "graph").format).toBe("yaml");
  });
});

describe("JSON documents", () => {
  const json = JSON.stringify(
    { apiVersion: "sluice/v1", spec: { steps: { parse: { handler: "x#y" } } } },
    null,
    2,
  );

  it("parse with JSON.parse and give lines too", () => {
    const loaded = readGraphText(json, "graph.json");
    expect(loaded.format).toBe("json");
    expect(loaded.raw).toEqual(JSON.parse(json));
    expect(loaded.lineOf("/apiVersion")).toBe(2);
    expect(loaded.lineOf("/spec/steps/parse/handler")).toBe(6);
  });

  it("give lines when indented with tabs", () => {
    const loaded = readGraphText('{\n\t"spec": {\n\t\t"steps": {}\n\t}\n}\n', "graph.json");
    expect(loaded.lineOf("/spec/steps")).toBe(3);
  });

  it("report a syntax error with its line, in one line", () => {
    const [problem, ...more] = problemsThrownBy(() =>
      readGraphText('{\n  "a": 1,\n  "b" 2\n}\n', "graph.json"),
    );
    expect(more).toEqual([]);
    expect(problem).toMatchObject({ file: "graph.json", pointer: "", line: 3 });
    expect(problem?.message).toMatch(/^invalid JSON: [^\n]+$/);
    expect(problem?.message).not.toMatch(/position/);
  });

  it("report a truncated document at its last line", () => {
    const [problem] = problemsThrownBy(() => readGraphText('{\n  "a": 1,\n', "graph.json"));
    expect(problem).toMatchObject({ file: "graph.json", line: 3 });
  });

  it("report a key written twice, which JSON.parse would silently drop", () => {
    const text = '{\n  "spec": {\n    "steps": {\n      "a": {},\n      "a": {}\n    }\n  }\n}\n';
    expect(problemsThrownBy(() => readGraphText(text, "graph.json"))).toEqual([
      {
        file: "graph.json",
        pointer: "/spec/steps/a",
        step: "a",
        line: 5,
        message: 'duplicate key "a" (first at line 4)',
      },
    ]);
  });
});

describe("unreadable documents throw one line that names the file and line", () => {
  it.each([
    {
      mistake: "a nested mapping on one line",
      text: "apiVersion: sluice/v1\nkind: Graph: x\n",
      expected: { line: 2, message: "invalid YAML: Nested mappings are not allowed in compact mappings" },
    },
    {
      mistake: "a badly indented key",
      text: "spec:\n  steps: {}\n responder: a\n",
      expected: { line: 3, message: "invalid YAML: All mapping items must start at the same column" },
    },
    {
      mistake: "a tab as indentation",
      text: "spec:\n\tsteps: {}\n",
      expected: { line: 2, message: "invalid YAML: Tabs are not allowed as indentation" },
    },
    {
      mistake: "an unclosed flow sequence",
      text: "spec:\n  steps:\n    b: {after: [a}\n",
      expected: { line: 3 },
    },
    {
      mistake: "several YAML documents",
      text: "kind: Graph\n---\nkind: Graph\n",
      expected: { line: 2, message: "several YAML documents in one file; a graph file holds one" },
    },
    { mistake: "an empty file", text: "", expected: { line: 1, message: "the document is empty" } },
    {
      mistake: "only comments",
      text: "# a graph, one day\n",
      expected: { line: 1, message: "the document is empty" },
    },
    {
      mistake: "a bare document marker",
      text: "---\n",
      expected: { line: 1, message: "the document is empty" },
    },
  ])("$mistake", ({ text, expected }) => {
    const problems = problemsThrownBy(() => readGraphText(text, "graph.yaml"));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: "graph.yaml", pointer: "", ...expected });
    expect(problems[0]?.message).not.toContain("\n");
  });

  it("an empty JSON file", () => {
    expect(problemsThrownBy(() => readGraphText("  \n", "graph.json"))).toEqual([
      { file: "graph.json", pointer: "", line: 1, message: "the document is empty" },
    ]);
  });

  it("as the error's message, with file:line first", () => {
    expect(() => readGraphText("a: b: c\n", "graph.yaml")).toThrow(
      "graph.yaml:1: /: invalid YAML: Nested mappings are not allowed in compact mappings",
    );
  });

  it("a step written twice, with both lines", () => {
    const text = example.replace("    models:", "    parse: {handler: ./steps.mjs#other}\n    models:");
    expect(problemsThrownBy(() => readGraphText(text, "graph.yaml"))).toEqual([
      {
        file: "graph.yaml",
        pointer: "/spec/steps/parse",
        step: "parse",
        line: 9,
        message: 'duplicate key "parse" (first at line 6)',
      },
    ]);
  });
});

describe("unsafe keys", () => {
  it("are rejected anywhere, each with its place", () => {
    const text = [
      "apiVersion: sluice/v1", // 1
      "spec:", // 2
      "  steps:", // 3
      "    __proto__: {handler: x#y}", // 4
      "    a: {class: x#Y, args: {constructor: 1}}", // 5
      "  triggers:", // 6
      "    - {kind: kafka, prototype: {}}", // 7
    ].join("\n");
    const message = (key: string) => `unsafe key "${key}": not allowed in a graph document`;
    expect(problemsThrownBy(() => readGraphText(text, "graph.yaml"))).toEqual([
      {
        file: "graph.yaml",
        pointer: "/spec/steps/__proto__",
        step: "__proto__",
        line: 4,
        message: message("__proto__"),
      },
      {
        file: "graph.yaml",
        pointer: "/spec/steps/a/args/constructor",
        step: "a",
        line: 5,
        message: message("constructor"),
      },
      { file: "graph.yaml", pointer: "/spec/triggers/0/prototype", line: 7, message: message("prototype") },
    ]);
  });

  it("are rejected in JSON too", () => {
    const text = '{\n  "metadata": {\n    "__proto__": {"polluted": true}\n  }\n}\n';
    expect(problemsThrownBy(() => readGraphText(text, "graph.json"))).toEqual([
      {
        file: "graph.json",
        pointer: "/metadata/__proto__",
        line: 3,
        message: 'unsafe key "__proto__": not allowed in a graph document',
      },
    ]);
  });

  it("never reach Object.prototype while parsing", () => {
    for (const [text, file] of [
      ["__proto__: {polluted: true}\n", "graph.yaml"],
      ['{"__proto__": {"polluted": true}}', "graph.json"],
    ] as const) {
      expect(() => readGraphText(text, file)).toThrow(GraphInvalidError);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    }
  });
});

describe("graph files", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "sluice-loader-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("are read as YAML or JSON by their extension", async () => {
    await writeFile(join(dir, "graph.yaml"), example);
    await writeFile(join(dir, "graph.json"), '\uFEFF{"kind": "Graph"}');
    const yaml = await readGraphFile(join(dir, "graph.yaml"));
    expect(yaml).toMatchObject({ file: join(dir, "graph.yaml"), format: "yaml" });
    expect(yaml.lineOf("/spec/triggers/1/url")).toBe(16);
    expect(await readGraphFile(join(dir, "graph.json"))).toMatchObject({
      format: "json",
      raw: { kind: "Graph" },
    });
  });

  it("that are missing say so, with the path", async () => {
    const path = join(dir, "nope.yaml");
    expect(await problemsThrownByAsync(() => readGraphFile(path))).toEqual([
      { file: path, pointer: "", message: "file not found" },
    ]);
    await expect(readGraphFile(path)).rejects.toMatchObject({ code: "SLUICE_ERR_GRAPH_INVALID" });
  });

  it("that are directories say so", async () => {
    expect(await problemsThrownByAsync(() => readGraphFile(dir))).toEqual([
      { file: dir, pointer: "", message: "is a directory, not a graph file" },
    ]);
  });
});
