import { afterEach, describe, expect, it } from "vitest";
import { sluice } from "../helpers/cli.js";
import { getJson, postJson, testGateway } from "../helpers/gateway.js";
import { serveProcess } from "../helpers/serve-process.js";

interface RepositoryEntry {
  name: string;
  version?: string;
  state: string;
  reason: string;
}

const x = (value: number) => ({ inputs: [{ name: "x", shape: [1], datatype: "FP64", data: [value] }] });

/** The value of output `name` of an infer answer. */
function count(body: unknown, name: string): unknown {
  return (body as { outputs: { name: string; data: unknown[] }[] }).outputs.find((o) => o.name === name)
    ?.data[0];
}

function arrivals(name: string): number {
  const counts = (globalThis as { sluiceTestArrivals?: Record<string, number> }).sluiceTestArrivals;
  return counts?.[name] ?? 0;
}

async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 10));
}

async function served(overrides: { adminToken?: string } = {}) {
  const gw = await testGateway(["repository.yaml"], { modelRepository: true, ...overrides });
  const repository = `${gw.url}/v2/repository`;
  return {
    gw,
    index: (body: unknown = {}) => postJson(`${repository}/index`, body),
    load: (name: string, headers: Record<string, string> = {}) =>
      postJson(`${repository}/models/${name}/load`, {}, headers),
    unload: (name: string, headers: Record<string, string> = {}) =>
      postJson(`${repository}/models/${name}/unload`, {}, headers),
    stateOf: async (name: string, version?: string) => {
      const entries = (await postJson(`${repository}/index`, {})).body as RepositoryEntry[];
      return entries.find((e) => e.name === name && e.version === version);
    },
  };
}

afterEach(() => {
  (globalThis as { sluiceTestFailLoad?: boolean }).sluiceTestFailLoad = undefined;
});

describe("the model repository extension (sluice serve --model-repository)", () => {
  it("is advertised in the server metadata and lists every model with its version, state and reason", async () => {
    const { gw, index } = await served();
    expect(((await getJson(`${gw.url}/v2`)).body as { extensions: string[] }).extensions).toEqual([
      "binary_tensor_data",
      "model_repository",
    ]);
    const listed = await index();
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([
      { name: "counted", state: "READY", reason: "" },
      { name: "slow", state: "READY", reason: "" },
      { name: "twin", version: "v1", state: "READY", reason: "" },
      { name: "twin", version: "v2", state: "READY", reason: "" },
    ]);
    // Triton's clients send no body at all.
    const bare = await fetch(`${gw.url}/v2/repository/index`, { method: "POST" });
    expect(bare.status).toBe(200);
    expect(await bare.json()).toEqual(listed.body);
  });

  it("unload answers 503 for that model until it is loaded again; the load runs its load() again", async () => {
    const { gw, index, load, unload, stateOf } = await served();
    const unloaded = await unload("counted");
    expect(unloaded).toMatchObject({ status: 200, body: undefined });
    expect(await stateOf("counted")).toEqual({ name: "counted", state: "UNAVAILABLE", reason: "unloaded" });
    expect(((await index({ ready: true })).body as { name: string }[]).map((e) => e.name)).toEqual([
      "slow",
      "twin",
      "twin",
    ]);
    const ready = await getJson(`${gw.url}/v2/models/counted/ready`);
    expect(ready).toMatchObject({ status: 503, body: { name: "counted", ready: false, reason: "unloaded" } });
    const infer = await postJson(`${gw.url}/v2/models/counted/infer`, x(1));
    expect(infer).toMatchObject({ status: 503, body: { error: 'model "counted" is unloaded' } });
    expect(infer.headers.get("retry-after")).toBeNull();
    expect((await getJson(`${gw.url}/v2/models/counted`)).body).toMatchObject({
      properties: { state: "unloaded", reason: "unloaded" },
    });
    // The server and the other models serve on: an unload is on purpose, not a failure.
    expect((await getJson(`${gw.url}/v2/health/ready`)).status).toBe(200);
    expect((await postJson(`${gw.url}/v2/models/twin/versions/v1/infer`, x(2))).status).toBe(200);

    expect(await load("counted")).toMatchObject({ status: 200, body: undefined });
    expect(await stateOf("counted")).toEqual({ name: "counted", state: "READY", reason: "" });
    const again = await postJson(`${gw.url}/v2/models/counted/infer`, x(1));
    expect(again.status).toBe(200);
    expect([count(again.body, "loads"), count(again.body, "unloads")]).toEqual([2, 1]);
  });

  it("a load whose load() throws answers 500 with its error, and leaves the model unavailable and the server not ready", async () => {
    const { gw, load, unload, stateOf } = await served();
    await unload("counted");
    (globalThis as { sluiceTestFailLoad?: boolean }).sluiceTestFailLoad = true;
    const failed = await load("counted");
    expect(failed).toMatchObject({
      status: 500,
      body: { error: 'model "counted" failed to load: weights missing' },
    });
    expect(await stateOf("counted")).toEqual({
      name: "counted",
      state: "UNAVAILABLE",
      reason: "failed to load: weights missing",
    });
    expect((await getJson(`${gw.url}/v2/health/ready`)).status).toBe(503);
    (globalThis as { sluiceTestFailLoad?: boolean }).sluiceTestFailLoad = undefined;
    expect((await load("counted")).status).toBe(200);
    expect((await getJson(`${gw.url}/v2/health/ready`)).status).toBe(200);
  });

  it("an unload lets the requests inside the model finish and refuses new ones meanwhile", async () => {
    const { gw, unload, stateOf } = await served();
    const before = arrivals("slow");
    const inside = postJson(`${gw.url}/v2/models/slow/infer`, x(400));
    await until(() => arrivals("slow") === before + 1);
    const unloading = unload("slow");
    await until(async () => (await stateOf("slow"))?.state === "UNLOADING");
    const refused = await postJson(`${gw.url}/v2/models/slow/infer`, x(1));
    expect(refused).toMatchObject({ status: 503, body: { error: 'model "slow" is being unloaded' } });
    expect((await inside).status).toBe(200);
    expect((await unloading).status).toBe(200);
    expect(await stateOf("slow")).toMatchObject({ state: "UNAVAILABLE", reason: "unloaded" });
  });

  it("runs concurrent loads and unloads of one model one at a time", async () => {
    const { gw, load, unload } = await served();
    const answers = await Promise.all([
      unload("counted"),
      load("counted"),
      unload("counted"),
      load("counted"),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect((await load("counted")).status).toBe(200);
    const infer = await postJson(`${gw.url}/v2/models/counted/infer`, x(1));
    // Three loads after the first (at start): never two of load() and unload() at once.
    expect([count(infer.body, "loads"), count(infer.body, "overlaps")]).toEqual([4, 0]);
  });

  it("takes every version of a model out of service when its name is unloaded", async () => {
    const { gw, unload, stateOf } = await served();
    expect((await unload("twin")).status).toBe(200);
    expect(await stateOf("twin", "v1")).toMatchObject({ state: "UNAVAILABLE" });
    expect(await stateOf("twin", "v2")).toMatchObject({ state: "UNAVAILABLE" });
    expect((await postJson(`${gw.url}/v2/models/twin/versions/v2/infer`, x(1))).status).toBe(503);
  });

  it("takes one version out of service when it is named as name:version", async () => {
    const { gw, unload, stateOf } = await served();
    expect((await unload("twin:v1")).status).toBe(200);
    expect(await stateOf("twin", "v1")).toMatchObject({ state: "UNAVAILABLE" });
    expect(await stateOf("twin", "v2")).toMatchObject({ state: "READY" });
    expect((await postJson(`${gw.url}/v2/models/twin/versions/v2/infer`, x(1))).status).toBe(200);
  });

  it("answers an unknown model 404 naming the known ones, a bad index body 400 and a GET 405", async () => {
    const { gw, index, load } = await served();
    expect(await load("nope")).toMatchObject({
      status: 404,
      body: { error: 'model "nope" not found; known models: counted, slow, twin:v1, twin:v2' },
    });
    expect(await index({ ready: "yes" })).toMatchObject({
      status: 400,
      body: { error: '"ready" must be true or false, got "yes"' },
    });
    expect(await index([1])).toMatchObject({ status: 400 });
    const get = await getJson(`${gw.url}/v2/repository/models/counted/load`);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
  });

  it("with an admin token, loads and unloads need it and the index does not", async () => {
    const { index, unload, load } = await served({ adminToken: "s3cret" });
    const missing = await unload("counted");
    expect(missing).toMatchObject({ status: 401, body: { error: "this change needs the admin token" } });
    expect(missing.headers.get("www-authenticate")).toBe("Bearer");
    expect(await load("counted", { authorization: "Bearer nope" })).toMatchObject({
      status: 401,
      body: { error: "the admin token is wrong" },
    });
    expect((await index()).status).toBe(200);
    expect((await unload("counted", { authorization: "Bearer s3cret" })).status).toBe(200);
    expect((await load("counted", { authorization: "Bearer s3cret" })).status).toBe(200);
  });
});

describe("sluice serve --model-repository", () => {
  it("unloads and loads a model over HTTP on the served binary", async () => {
    const server = await serveProcess([
      "--model-repository",
      "--admin-token",
      "t0ken",
      "test/fixtures/gateway/repository.yaml",
    ]);
    const auth = { authorization: "Bearer t0ken" };
    const unload = await postJson(`${server.url}/v2/repository/models/counted/unload`, {}, auth);
    expect(unload.status).toBe(200);
    expect((await postJson(`${server.url}/v2/models/counted/infer`, x(1))).status).toBe(503);
    expect((await postJson(`${server.url}/v2/repository/models/counted/load`, {}, auth)).status).toBe(200);
    const infer = await postJson(`${server.url}/v2/models/counted/infer`, x(1));
    expect([infer.status, count(infer.body, "loads"), count(infer.body, "unloads")]).toEqual([200, 2, 1]);
  });

  it("refuses to start on a non-loopback host without an admin token, or with several workers", async () => {
    const refusals: [string[], string][] = [
      [["--host", "0.0.0.0"], "--model-repository on --host 0.0.0.0 lets other machines unload models"],
      [["--workers", "2"], "--model-repository works with one worker only (--workers 2)"],
    ];
    for (const [flags, message] of refusals) {
      const result = await sluice(
        "serve",
        "--model-repository",
        ...flags,
        "test/fixtures/gateway/repository.yaml",
      );
      expect({ flags, code: result.code }).toEqual({ flags, code: 2 });
      expect(result.stderr).toContain(message);
    }
  });
});
