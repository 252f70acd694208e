import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FunctionObject, FunctionStore, parseParams, runLocally } from "../../src/runtimes/index.js";

const fixtures = fileURLToPath(new URL("../fixtures/runtimes/", import.meta.url));

/** Collects what a run writes, as a terminal would show it. */
function capture() {
  let text = "";
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}

let cache: string;
let store: FunctionStore;
beforeAll(async () => {
  cache = await mkdtemp(join(tmpdir(), "sluice-run-"));
});
afterAll(() => rm(cache, { recursive: true, force: true }));
beforeEach(() => {
  store = FunctionStore.open(":memory:");
});
afterEach(() => store.close());

const handler = (name: string, env: Record<string, string> = {}) =>
  FunctionObject.create("handler", "trainer", { command: "./handlers.mjs", default_handler: name }).setEnvs(
    env,
  );
const script = () =>
  FunctionObject.create("local", "job", { command: "./job.sh" }).setEnv("GREETING", "hello");

describe("a handler function run with --local", () => {
  it("calls the exported function in this process with its params and env, and returns its results", async () => {
    const err = capture();
    const before = process.env.MODE;
    const fn = handler("train", { MODE: "fast" });
    const record = await runLocally(fn, {
      origin: fixtures,
      cacheDir: cache,
      store,
      params: { epochs: 3 },
      stderr: err.stream,
    });
    expect(record).toMatchObject({
      state: "completed",
      name: "trainer",
      kind: "handler",
      hash: fn.hash,
      params: { epochs: 3 },
    });
    expect(record.results).toEqual({ mode: "fast", accuracy: 0.53, epochs: 3 });
    expect(err.text()).toBe("training for 3 epochs\n");
    // The function's env is set for the call only.
    expect(process.env.MODE).toBe(before);
    expect(Date.parse(record.end ?? "")).toBeGreaterThanOrEqual(Date.parse(record.start));
  });

  it("records a handler that throws as an error, with its message", async () => {
    const record = await runLocally(handler("fails"), { origin: fixtures, cacheDir: cache, store });
    expect(record).toMatchObject({ state: "error", error: "the dataset is empty", results: {} });
  });

  it("stops waiting at the timeout and records the run as aborted", async () => {
    const record = await runLocally(handler("slow"), {
      origin: fixtures,
      cacheDir: cache,
      store,
      timeoutMs: 200,
    });
    expect(record).toMatchObject({ state: "aborted", error: "timed out after 200 ms" });
  });

  it("keeps the version that ran and the run record in the store", async () => {
    const fn = handler("handler");
    const record = await runLocally(fn, {
      origin: fixtures,
      cacheDir: cache,
      store,
      params: parseParams(["value=7"]),
    });
    expect(record.results).toEqual({ return: 7 });
    expect(store.runs.get(record.uid)).toEqual(record);
    expect(store.get(`trainer@${fn.hash}`).origin).toBe(fixtures);
  });

  it("says which exports a module has when the handler is not one of them", async () => {
    const record = await runLocally(handler("tarin"), { origin: fixtures, cacheDir: cache });
    expect(record.error).toMatch(
      /has no exported function "tarin" \(functions it exports: fails, handler, slow, train\)/,
    );
  });
});

describe("a local function run with --local", () => {
  it("runs its command in a child process with its env and params, streaming output, and reads its results", async () => {
    const out = capture();
    const err = capture();
    const record = await runLocally(script(), {
      origin: fixtures,
      cacheDir: cache,
      store,
      params: { epochs: 5 },
      stdout: out.stream,
      stderr: err.stream,
    });
    expect(record).toMatchObject({
      state: "completed",
      exit_code: 0,
      results: { lines: 2, uid: record.uid },
    });
    expect(out.text()).toBe("greeting=hello epochs=5\n");
    expect(err.text()).toBe("to stderr\n");
    expect(store.runs.get(record.uid)?.state).toBe("completed");
  });

  it("records a non-zero exit as an error with the exit code and the last line of stderr", async () => {
    const record = await runLocally(script(), {
      origin: fixtures,
      cacheDir: cache,
      params: { exit: 3 },
      stdout: capture().stream,
      stderr: capture().stream,
    });
    expect(record).toMatchObject({
      state: "error",
      exit_code: 3,
      error: "exited with code 3: failing on purpose with 3",
    });
  });

  it("stops the process (and its children) at the timeout, recorded as aborted", async () => {
    const record = await runLocally(script(), {
      origin: fixtures,
      cacheDir: cache,
      params: { sleep: 30 },
      timeoutMs: 300,
      stdout: capture().stream,
      stderr: capture().stream,
    });
    expect(record).toMatchObject({ state: "aborted", error: "timed out after 300 ms" });
  });

  it("stops the process when its caller aborts (Ctrl-C), recorded as aborted", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const record = await runLocally(script(), {
      origin: fixtures,
      cacheDir: cache,
      params: { sleep: 30 },
      signal: controller.signal,
      stdout: capture().stream,
      stderr: capture().stream,
    });
    expect(record).toMatchObject({ state: "aborted", error: "stopped before it finished" });
  });

  it("runs a program on PATH with its args", async () => {
    const out = capture();
    const fn = FunctionObject.create("local", "say", { command: "echo", args: ["hello", "world"] });
    const record = await runLocally(fn, { origin: fixtures, cacheDir: cache, stdout: out.stream });
    expect(record.state).toBe("completed");
    expect(out.text()).toBe("hello world\n");
  });

  it("refuses kinds that do not run on this machine, and a command that is not there", async () => {
    const spark = FunctionObject.create("spark", "etl", { command: "local:///app.py" });
    await expect(runLocally(spark, { origin: fixtures, cacheDir: cache })).rejects.toThrow(
      "a spark function does not run with --local; deploy it with sluice deploy",
    );
    const missing = FunctionObject.create("local", "gone", { command: "./nowhere.sh" });
    await expect(runLocally(missing, { origin: fixtures, cacheDir: cache })).rejects.toThrow(
      /\.\/nowhere\.sh not found/,
    );
  });
});

describe("--param values", () => {
  it("are JSON when they parse as JSON, else strings", () => {
    expect(parseParams(["epochs=3", "rate=0.5", "on=true", "name=iris", "list=[1,2]", "eq=a=b"])).toEqual({
      epochs: 3,
      rate: 0.5,
      on: true,
      name: "iris",
      list: [1, 2],
      eq: "a=b",
    });
    expect(() => parseParams(["novalue"])).toThrow('--param "novalue" is not K=V');
  });
});
