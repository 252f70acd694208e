import { status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import type { ModelInferResponse } from "../../../src/gateway/grpc/index.js";
import { testGateway } from "../../helpers/gateway.js";
import { oipGrpcClient } from "../../helpers/grpc-client.js";

async function served(files = ["grpc.yaml"]) {
  const gateway = await testGateway(files, { grpcPort: 0 });
  return { gateway, client: oipGrpcClient(`127.0.0.1:${gateway.grpc?.address.port}`) };
}

const one = { name: "x", datatype: "FP32", shape: [1], contents: { fp32_contents: [1] } };

describe("gRPC health and metadata", () => {
  it("ServerLive, ServerReady and ServerMetadata answer like /v2/health and /v2", async () => {
    const { client } = await served();
    expect(await client.ok("ServerLive", {})).toEqual({ live: true });
    expect(await client.ok("ServerReady", {})).toEqual({ ready: true });
    expect(await client.ok("ServerMetadata", {})).toEqual({ name: "sluice", version: "0.0.0-test" });
  });

  it("ModelReady and ModelMetadata describe a served model, by name or name and version", async () => {
    const { client } = await served();
    expect(await client.ok("ModelReady", { name: "features" })).toEqual({ ready: true });
    expect(await client.ok("ModelReady", { name: "tagged", version: "2" })).toEqual({ ready: true });
    expect(await client.ok("ModelMetadata", { name: "features" })).toEqual({
      name: "features",
      platform: "test",
      inputs: [{ name: "features", datatype: "FP32", shape: ["-1", "4"] }],
    });
    expect(await client.ok("ModelMetadata", { name: "tagged" })).toEqual({
      name: "tagged",
      versions: ["2"],
      platform: "test",
      outputs: [{ name: "seen", datatype: "BYTES", shape: ["1"] }],
    });
  });

  it("an unknown model is NOT_FOUND for ModelReady, ModelMetadata and ModelInfer, naming the served ones", async () => {
    const { client } = await served();
    const message = 'model "nope" not found; known models: echo, features, slow, half, tagged:2, pid';
    for (const [method, request] of [
      ["ModelReady", { name: "nope" }],
      ["ModelMetadata", { name: "nope" }],
      ["ModelInfer", { model_name: "nope", inputs: [one] }],
    ] as const) {
      const error = await client.fails(method, request);
      expect([method, error.code, error.details]).toEqual([method, status.NOT_FOUND, message]);
    }
    const versioned = await client.fails("ModelInfer", {
      model_name: "tagged",
      model_version: "3",
      inputs: [one],
    });
    expect(versioned.details).toContain('model "tagged:3" not found');
  });

  it("a model that failed to load is not ready, says why in its metadata, and its infer is UNAVAILABLE", async () => {
    const { client } = await served(["broken-model.yaml"]);
    expect(await client.ok("ModelReady", { name: "broken" })).toEqual({ ready: false });
    expect(await client.ok("ServerReady", {})).toEqual({ ready: false });
    expect(await client.ok("ModelMetadata", { name: "broken" })).toMatchObject({
      properties: { state: "failed", reason: "failed to load: weights missing" },
    });
    const error = await client.fails("ModelInfer", { model_name: "broken", inputs: [one] });
    expect([error.code, error.details]).toEqual([
      status.UNAVAILABLE,
      'model "broken" failed to load: weights missing',
    ]);
    // Waiting will not cure it: no retry-after, as over HTTP.
    expect(error.metadata.get("retry-after")).toEqual([]);
  });
});

describe("gRPC beside HTTP", () => {
  it("infer takes the same graph path: counted in the graph's request metrics", async () => {
    const { client, gateway } = await served();
    await client.ok<ModelInferResponse>("ModelInfer", { model_name: "echo", inputs: [one] });
    await client.fails("ModelInfer", { model_name: "echo", inputs: [{ ...one, datatype: "FP33" }] });
    const metrics = await (await fetch(`${gateway.adminUrl}/metrics`)).text();
    expect(metrics).toContain('sluice_requests_total{graph="grpc",outcome="ok"} 1');
    expect(metrics).toContain('sluice_requests_total{graph="grpc",outcome="client_error"} 1');
  });

  it("a graceful stop answers the call in flight, then serves no more calls", async () => {
    const { client, gateway } = await served();
    const slow = client.call<ModelInferResponse>("ModelInfer", {
      model_name: "slow",
      parameters: { ms: { int64_param: 300 } },
      inputs: [one],
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = gateway.close();
    const answered = await slow;
    expect(answered.ok && answered.response.outputs[0]?.contents).toEqual({ fp32_contents: [1] });
    await closed;
    const after = await client.fails("ServerLive", {}, { deadlineMs: 2000 });
    expect(after.code).toBe(status.UNAVAILABLE);
  });
});
