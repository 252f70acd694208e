import { describe, expect, it } from "vitest";
import { sluice } from "../helpers/cli.js";
import { getJson, postJson } from "../helpers/gateway.js";
import { serveProcess } from "../helpers/serve-process.js";

describe("a model whose load() failed", () => {
  it("makes sluice serve fail fast, naming the graph, the model and the error", async () => {
    const result = await sluice(
      "serve",
      "--port",
      "0",
      "--admin-port",
      "0",
      "test/fixtures/gateway/broken-model.yaml",
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('model "broken" of graph "broken-model" failed to load: weights missing');
  });

  it("with --allow-failed-models: ready is false with the reason, infer is 503 naming it, without Retry-After", async () => {
    const server = await serveProcess(["--allow-failed-models", "test/fixtures/gateway/broken-model.yaml"]);
    const ready = await getJson(`${server.url}/v2/models/broken/ready`);
    expect(ready).toMatchObject({
      status: 503,
      body: { ready: false, reason: "failed to load: weights missing" },
    });
    const infer = await postJson(`${server.url}/v2/models/broken/infer`, {
      inputs: [{ name: "x", shape: [1], datatype: "FP64", data: [1] }],
    });
    expect(infer.status).toBe(503);
    expect(infer.body).toEqual({ error: 'model "broken" failed to load: weights missing' });
    expect(infer.headers.get("retry-after")).toBeNull();
    expect((await getJson(`${server.url}/v2/models/double/ready`)).status).toBe(200);
    // The model's metadata says it too, in the OIP's free `properties` map.
    const metadata = await getJson(`${server.url}/v2/models/broken`);
    expect(metadata.body).toMatchObject({
      properties: { state: "failed", reason: "failed to load: weights missing" },
    });
    expect((await getJson(`${server.url}/v2/models/double`)).body).not.toHaveProperty("properties");
  });

  it("answers a failed model inside a flow graph 503 without Retry-After: waiting will not help", async () => {
    const server = await serveProcess([
      "--allow-failed-models",
      "test/fixtures/gateway/broken-model-flow.yaml",
    ]);
    const infer = await postJson(`${server.url}/`, {
      inputs: [{ name: "x", shape: [1], datatype: "FP64", data: [1] }],
    });
    expect(infer.status).toBe(503);
    expect(infer.body).toMatchObject({
      error: expect.stringContaining('model "broken" failed to load: weights missing'),
    });
    expect(infer.headers.get("retry-after")).toBeNull();
  });
});
