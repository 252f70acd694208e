import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type BenchFlags, compileBenchSettings, parseHeaders } from "../../src/loadtest/index.js";

const graph = "examples/enrichment/graph.yaml";
const defaults: BenchFlags = {
  connections: "50",
  pipelining: "1",
  warmup: "1s",
  timeout: "10s",
  workers: "1",
};

const compile = (target: string | undefined, flags: Partial<BenchFlags> = {}) =>
  compileBenchSettings(target, { ...defaults, ...flags });

describe("sluice bench options", () => {
  it("loads a graph for 10s with GET / when nothing else is said", async () => {
    const settings = await compile(graph);
    expect(settings.target).toEqual({ kind: "graph", file: graph, workers: 1 });
    expect(settings.request).toEqual({
      method: "GET",
      path: "/",
      headers: {},
      body: undefined,
      bodySource: undefined,
    });
    expect(settings.load).toEqual({
      connections: 50,
      pipelining: 1,
      durationMs: 10_000,
      amount: undefined,
      rate: undefined,
      warmupMs: 1000,
      timeoutMs: 10_000,
    });
  });

  it("POSTs a body as JSON unless a method and content type are given", async () => {
    const settings = await compile(graph, { body: '{"a":1}' });
    expect(settings.request).toMatchObject({
      method: "POST",
      headers: { "content-type": "application/json" },
    });
    expect(settings.request.body?.toString()).toBe('{"a":1}');
    const put = await compile(graph, { body: "[]", method: "put", header: ["Content-Type: text/json"] });
    expect(put.request).toMatchObject({ method: "PUT", headers: { "content-type": "text/json" } });
  });

  it("sends a body file as it is", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sluice-bench-"));
    await writeFile(join(dir, "body.bin"), Buffer.from([0, 1, 2]));
    const settings = await compile(graph, { bodyFile: join(dir, "body.bin") });
    expect([...(settings.request.body ?? [])]).toEqual([0, 1, 2]);
    expect(settings.request.bodySource).toBe(`--body-file ${join(dir, "body.bin")}`);
  });

  it("aims OIP inputs at the model's infer path", async () => {
    const settings = await compile(graph, { model: "iris", oipInput: ["features:FP32:1x4"] });
    expect(settings.request.path).toBe("/v2/models/iris/infer");
    expect(JSON.parse(settings.request.body?.toString() ?? "")).toMatchObject({
      inputs: [{ name: "features", datatype: "FP32", shape: [1, 4] }],
    });
  });

  it("loads a URL at its own path, unless --path says otherwise", async () => {
    const url = await compile("http://127.0.0.1:9000/v2/health/ready?x=1");
    expect(url.target).toEqual({ kind: "url", origin: "http://127.0.0.1:9000" });
    expect(url.request.path).toBe("/v2/health/ready?x=1");
    expect((await compile("http://127.0.0.1:9000/a", { path: "/b" })).request.path).toBe("/b");
    expect((await compile("http://127.0.0.1:9000")).request.path).toBe("/");
  });

  it("takes --amount, --rate and a zero warm-up", async () => {
    const settings = await compile(graph, { amount: "500", rate: "200", warmup: "0", connections: "5" });
    expect(settings.load).toMatchObject({ amount: 500, rate: 200, warmupMs: 0, connections: 5 });
  });

  it.each<[string, string | undefined, Partial<BenchFlags>, string]>([
    ["no target", undefined, {}, "give a graph document or a URL"],
    ["zero connections", graph, { connections: "0" }, '--connections must be a whole number ≥ 1, got "0"'],
    ["a bad duration", graph, { duration: "soon" }, "--duration must be a duration like 30s"],
    ["a bad warm-up", graph, { warmup: "-1s" }, "--warmup must be a duration"],
    ["a bad rate", graph, { rate: "fast" }, "--rate must be a whole number"],
    ["both a duration and an amount", graph, { duration: "5s", amount: "10" }, "give --duration or --amount"],
    ["fewer requests than connections", graph, { amount: "3", connections: "4" }, "--amount 3 is fewer"],
    ["two bodies", graph, { body: "{}", oipInput: ["x:FP32:1"] }, "give one of --body, --body-file"],
    ["a header without a colon", graph, { header: ["nope"] }, '--header "nope" is not K:V'],
    ["a path without a slash", graph, { path: "v2" }, "--path must start with /"],
    ["workers for a URL", "http://127.0.0.1:1/", { workers: "2" }, "--workers applies to a graph"],
    ["a bad OIP input", graph, { oipInput: ["x:FP33:1"] }, 'unknown datatype "FP33"'],
  ])("refuses %s as a usage error (exit 2)", async (_, target, flags, message) => {
    await expect(compile(target, flags)).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining(message),
    });
  });

  it.each<[string, string, Partial<BenchFlags>, string]>([
    ["a graph file that is not there", "nowhere.yaml", {}, "no graph document at nowhere.yaml"],
    ["a body that is not JSON", graph, { body: "{" }, "--body is not valid JSON"],
    [
      "a body file that is not there",
      graph,
      { bodyFile: "nowhere.json" },
      "cannot read --body-file nowhere.json: ENOENT",
    ],
  ])("refuses %s as a user error (exit 1)", async (_, target, flags, message) => {
    await expect(compile(target, flags)).rejects.toMatchObject({
      exitCode: 1,
      message: expect.stringContaining(message),
    });
  });

  it("lower-cases header names and keeps colons in values", () => {
    expect(parseHeaders(["X-Trace: a:b", "Authorization:Bearer t"])).toEqual({
      "x-trace": "a:b",
      authorization: "Bearer t",
    });
  });
});
