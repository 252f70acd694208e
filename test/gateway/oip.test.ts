import { describe, expect, it } from "vitest";
import { encodeBinaryRequest } from "../../src/graph/oip/index.js";
import { getJson, postJson, testGateway } from "../helpers/gateway.js";
import { oipValidator } from "../helpers/oip-spec.js";

const conforms = (schema: string, value: unknown) => expect(oipValidator(schema)(value)).toBe(true);
const request = (data: number[], extra: object = {}) => ({
  inputs: [{ name: "x", shape: [data.length], datatype: "FP64", data }],
  ...extra,
});

describe("the Open Inference Protocol over HTTP", () => {
  it("answers health live and ready", async () => {
    const gw = await testGateway(["models.yaml"]);
    expect((await getJson(`${gw.url}/v2/health/live`)).status).toBe(200);
    expect((await getJson(`${gw.url}/v2/health/ready`)).status).toBe(200);
  });

  it("answers server metadata as the spec shapes it", async () => {
    const gw = await testGateway(["models.yaml"]);
    for (const path of ["/v2", "/v2/"]) {
      const { status, body } = await getJson(`${gw.url}${path}`);
      expect(status).toBe(200);
      conforms("metadata_server_response", body);
      expect(body).toMatchObject({ name: "sluice", version: "0.0.0-test" });
    }
  });

  it("lists the served models", async () => {
    const gw = await testGateway(["models.yaml"]);
    expect(await getJson(`${gw.url}/v2/models`)).toMatchObject({
      status: 200,
      body: { models: ["double", "double:v2"] },
    });
  });

  it("answers model metadata with and without a version", async () => {
    const gw = await testGateway(["models.yaml"]);
    const plain = await getJson(`${gw.url}/v2/models/double`);
    expect(plain.status).toBe(200);
    conforms("metadata_model_response", plain.body);
    expect(plain.body).toMatchObject({ name: "double", platform: "test" });
    const versioned = await getJson(`${gw.url}/v2/models/double/versions/v2`);
    conforms("metadata_model_response", versioned.body);
    expect(versioned.body).toMatchObject({ name: "double", versions: ["v2"] });
  });

  it("answers model ready with and without a version", async () => {
    const gw = await testGateway(["models.yaml"]);
    expect(await getJson(`${gw.url}/v2/models/double/ready`)).toMatchObject({
      status: 200,
      body: { ready: true },
    });
    expect(await getJson(`${gw.url}/v2/models/double/versions/v2/ready`)).toMatchObject({ status: 200 });
  });

  it("infers, echoing the request id, in the spec's response shape", async () => {
    const gw = await testGateway(["models.yaml"]);
    const { status, body, headers } = await postJson(
      `${gw.url}/v2/models/double/infer`,
      request([1, 2], { id: "req-7" }),
    );
    expect(status).toBe(200);
    conforms("inference_response", body);
    expect(body).toEqual({
      model_name: "double",
      id: "req-7",
      outputs: [{ name: "out", shape: [2], datatype: "FP64", data: [2, 4] }],
    });
    expect(headers.get("x-request-id")).toBeTruthy();
  });

  it("infers whatever way the path is written: a query, a trailing slash, an encoded name", async () => {
    const gw = await testGateway(["models.yaml"]);
    for (const path of ["double/infer?trace=1", "double/infer/", "%64ouble/infer"]) {
      const { status, body } = await postJson(`${gw.url}/v2/models/${path}`, request([1, 2]));
      expect({ path, status }).toEqual({ path, status: 200 });
      expect(body).toMatchObject({ model_name: "double", outputs: [{ data: [2, 4] }] });
    }
  });

  it("infers with a versioned path", async () => {
    const gw = await testGateway(["models.yaml"]);
    const { body } = await postJson(`${gw.url}/v2/models/double/versions/v2/infer`, request([1]));
    conforms("inference_response", body);
    expect(body).toMatchObject({ model_version: "v2", outputs: [{ data: [40] }] });
  });

  it("explains with the model's explain()", async () => {
    const gw = await testGateway(["models.yaml"]);
    const { status, body } = await postJson(`${gw.url}/v2/models/double/versions/v2/explain`, request([1]));
    expect(status).toBe(200);
    expect(body).toEqual({ explanation: "factor 20", inputs: 1 });
  });

  it("counts requests per graph and runs per step in the metrics", async () => {
    const gw = await testGateway(["models.yaml"]);
    await postJson(`${gw.url}/v2/models/double/infer`, request([1]));
    await postJson(`${gw.url}/v2/models/nope/infer`, request([1]));
    await postJson(`${gw.url}/v2/models/double/infer`, { inputs: [] });
    const text = await gw.metrics.registry.metrics();
    expect(text).toContain('sluice_requests_total{graph="models",outcome="ok"} 1');
    expect(text).toContain('sluice_requests_total{graph="models",outcome="client_error"} 1');
    expect(text).toContain('sluice_step_runs_total{graph="models",step="models",outcome="ok"} 1');
    // The bad request was refused at the edge: counted, but it never entered the graph.
    expect(text).toMatch(/sluice_request_duration_seconds_count\{graph="models"\} 1/);
  });

  it("takes binary tensor data and answers binary outputs when asked", async () => {
    const gw = await testGateway(["models.yaml"]);
    const { body, headerLength } = encodeBinaryRequest(
      {
        inputs: [{ name: "x", shape: [3], datatype: "FP64", data: [1.5, 2, 3] }],
        outputs: [{ name: "out", parameters: { binary_data: true } }],
      },
      "all",
    );
    const response = await fetch(`${gw.url}/v2/models/double/infer`, {
      method: "POST",
      headers: {
        "content-type": "application/octet-stream",
        "inference-header-content-length": String(headerLength),
      },
      body,
    });
    expect(response.status).toBe(200);
    const length = Number(response.headers.get("inference-header-content-length"));
    const raw = Buffer.from(await response.arrayBuffer());
    const header = JSON.parse(raw.subarray(0, length).toString()) as {
      outputs: { parameters: { binary_data_size: number } }[];
    };
    expect(header.outputs[0]?.parameters.binary_data_size).toBe(24); // three FP64 values
    const values = new Float64Array(raw.buffer.slice(raw.byteOffset + length, raw.byteOffset + raw.length));
    expect([...values]).toEqual([3, 4, 6]);
  });
});

describe("bad input is answered 4xx and the server stays up", () => {
  it("unknown model: 404 naming the known models", async () => {
    const gw = await testGateway(["models.yaml"]);
    for (const url of [`${gw.url}/v2/models/nope`, `${gw.url}/v2/models/nope/ready`]) {
      const { status, body } = await getJson(url);
      expect(status).toBe(404);
      conforms("metadata_server_error_response", body);
      expect(body).toEqual({ error: 'model "nope" not found; known models: double, double:v2' });
    }
    expect((await postJson(`${gw.url}/v2/models/nope/infer`, request([1]))).status).toBe(404);
  });

  it("malformed JSON: 400", async () => {
    const gw = await testGateway(["models.yaml"]);
    const { status, body } = await postJson(`${gw.url}/v2/models/double/infer`, "{not json");
    expect(status).toBe(400);
    expect((body as { error: string }).error).toMatch(/^request body is not valid JSON/);
  });

  it("wrong content type: 415", async () => {
    const gw = await testGateway(["models.yaml"]);
    const response = await fetch(`${gw.url}/v2/models/double/infer`, {
      method: "POST",
      headers: { "content-type": "text/csv" },
      body: "1,2,3",
    });
    expect(response.status).toBe(415);
  });

  it("oversized body: 413", async () => {
    const gw = await testGateway(["models.yaml"], { bodyLimit: 1024 });
    const { status, body } = await postJson(
      `${gw.url}/v2/models/double/infer`,
      request(Array(500).fill(1.5)),
    );
    expect(status).toBe(413);
    expect(body).toEqual({ error: "request body is larger than the limit of 1024 bytes" });
  });

  it("wrong tensor shape or datatype: 400 naming the input", async () => {
    const gw = await testGateway(["models.yaml"]);
    const shape = await postJson(`${gw.url}/v2/models/double/infer`, {
      inputs: [{ name: "x", shape: [3], datatype: "FP64", data: [1, 2] }],
    });
    expect(shape.status).toBe(400);
    expect((shape.body as { error: string }).error).toContain('"x"');
    const datatype = await postJson(`${gw.url}/v2/models/double/infer`, {
      inputs: [{ name: "x", shape: [1], datatype: "FP128", data: [1] }],
    });
    expect(datatype.status).toBe(400);
    expect((datatype.body as { error: string }).error).toContain("FP128");
  });

  it("keeps serving after all of the above", async () => {
    const gw = await testGateway(["models.yaml"]);
    await postJson(`${gw.url}/v2/models/double/infer`, "{not json");
    await postJson(`${gw.url}/v2/models/double/infer`, { inputs: "nope" });
    expect((await postJson(`${gw.url}/v2/models/double/infer`, request([1]))).status).toBe(200);
  });
});
