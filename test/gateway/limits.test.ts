import { request as httpRequest } from "node:http";
import { describe, expect, it, onTestFinished } from "vitest";
import { startGateway } from "../../src/gateway/serve.js";
import { encodeBinaryRequest } from "../../src/graph/oip/index.js";
import { gatewaySettings, getJson, postJson, testGateway } from "../helpers/gateway.js";
import { memoryLogger } from "../helpers/graphs.js";

// @ts-expect-error: a plain JavaScript fixture module
const gatewaySteps = await import("../fixtures/gateway/gateway-steps.mjs");

/**
 * POSTs `chunks` with `Transfer-Encoding: chunked` (no Content-Length: the server learns the
 * size only as it reads). Resolves with the answer; writes the server refused are no error.
 */
function postChunked(
  url: string,
  chunks: Buffer[],
): Promise<{ status: number; connection?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: "POST",
      headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
    });
    req.on("response", (res) => {
      let body = "";
      res.on("data", (d: Buffer) => {
        body += d.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
    });
    req.on("error", (error: NodeJS.ErrnoException) => {
      // The server closes the connection after its 413: the rest of the upload is cut off.
      if (error.code !== "EPIPE" && error.code !== "ECONNRESET") reject(error);
    });
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

/** A binary-extension infer request whose one input's bytes are `bytes`, whatever its shape says. */
function binaryInfer(url: string, input: { shape: number[]; datatype: string }, bytes: Buffer) {
  const header = Buffer.from(
    JSON.stringify({ inputs: [{ name: "x", ...input, parameters: { binary_data_size: bytes.length } }] }),
  );
  return fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/octet-stream",
      "inference-header-content-length": String(header.length),
    },
    body: Buffer.concat([header, bytes]),
  }).then(async (response) => ({ status: response.status, body: (await response.json()) as unknown }));
}

describe("the data plane's limits", () => {
  it("caps a caller's x-request-timeout at --max-timeout: past the cap the answer is 504", async () => {
    const gw = await testGateway(["slow.yaml"], { timeoutMs: 100, maxTimeoutMs: 300 });
    const capped = await postJson(`${gw.url}/`, { ms: 2_000 }, { "x-request-timeout": "1h" });
    expect(capped).toMatchObject({ status: 504, body: { error: "the request's deadline of 300 ms passed" } });
    // Within the cap the caller's own deadline holds.
    const asked = await postJson(`${gw.url}/`, { ms: 2_000 }, { "x-request-timeout": "250ms" });
    expect(asked).toMatchObject({ status: 504, body: { error: "the request's deadline of 250 ms passed" } });
  });

  it("refuses a chunked body over --body-limit with 413 and closes the connection, on graph and infer paths", async () => {
    const gw = await testGateway(["echo-default.yaml", "models.yaml"], { bodyLimit: 1024 });
    const chunks = Array.from({ length: 8 }, () => Buffer.alloc(512, 32));
    for (const path of ["/", "/v2/models/double/infer"]) {
      const answer = await postChunked(`${gw.url}${path}`, chunks);
      expect({ path, ...answer }).toEqual({
        path,
        status: 413,
        connection: "close",
        body: JSON.stringify({ error: "request body is larger than the limit of 1024 bytes" }),
      });
    }
    // A chunked body within the limit is read whole.
    const small = await postChunked(`${gw.url}/`, [Buffer.from('{"a":'), Buffer.from("1}")]);
    expect(small).toMatchObject({ status: 200, body: '{"a":1}' });
  });

  it("answers 400 to a tensor with more elements than its shape holds, in JSON and in binary", async () => {
    const gw = await testGateway(["models.yaml"]);
    const infer = `${gw.url}/v2/models/double/infer`;
    const json = await postJson(infer, {
      inputs: [{ name: "x", shape: [2], datatype: "FP64", data: [1, 2, 3] }],
    });
    expect(json).toMatchObject({
      status: 400,
      body: { error: 'input "x": "data" has 3 elements but shape [2] needs 2' },
    });
    const fixed = await binaryInfer(infer, { shape: [2], datatype: "FP64" }, Buffer.alloc(24));
    expect(fixed).toEqual({
      status: 400,
      body: { error: 'input "x": "parameters.binary_data_size" is 24 but 2 FP64 elements take 16 bytes' },
    });
    const { body, headerLength } = encodeBinaryRequest(
      { inputs: [{ name: "x", shape: [3], datatype: "BYTES", data: ["a", "b", "c"] }] },
      "all",
    );
    // The same bytes under a shape of 2: one element too many.
    const header = body.subarray(0, headerLength).toString().replace('"shape":[3]', '"shape":[2]');
    const bytes = await fetch(infer, {
      method: "POST",
      headers: { "inference-header-content-length": String(Buffer.byteLength(header)) },
      body: Buffer.concat([Buffer.from(header), body.subarray(headerLength)]),
    });
    expect(bytes.status).toBe(400);
    expect(await bytes.json()).toEqual({
      error: 'input "x": the binary data holds 3 BYTES elements but the shape needs 2',
    });
  });
});

describe("readiness while a model loads", () => {
  it("is 503 on /v2/health/ready and the model's /ready until its load() finished, then 200", async () => {
    // Not testGateway: it would wait for the load this test holds back.
    const gateway = await startGateway(gatewaySettings(["gated-model.yaml"]), memoryLogger(), false);
    onTestFinished(() => gateway.close());
    const url = `http://127.0.0.1:${gateway.address.port}`;
    expect(await getJson(`${url}/v2/health/ready`)).toMatchObject({ status: 503, body: { ready: false } });
    expect(await getJson(`${url}/v2/models/gated/ready`)).toMatchObject({
      status: 503,
      body: { ready: false, reason: "still loading" },
    });
    expect((await getJson(`${url}/v2/health/live`)).status).toBe(200);

    gatewaySteps.openLoadGate();
    for (const graph of gateway.registry.graphs) await graph.whenReady();
    expect(await getJson(`${url}/v2/health/ready`)).toMatchObject({ status: 200, body: { ready: true } });
    expect((await getJson(`${url}/v2/models/gated/ready`)).status).toBe(200);
  });
});
