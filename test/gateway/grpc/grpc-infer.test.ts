import { status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import type { ModelInferResponse } from "../../../src/gateway/grpc/index.js";
import { testGateway } from "../../helpers/gateway.js";
import { oipGrpcClient } from "../../helpers/grpc-client.js";

async function served(overrides: Parameters<typeof testGateway>[1] = {}) {
  const gateway = await testGateway(["grpc.yaml"], { grpcPort: 0, ...overrides });
  return { gateway, client: oipGrpcClient(`127.0.0.1:${gateway.grpc?.address.port}`) };
}

const le = {
  f32: (values: number[]) => Buffer.from(new Float32Array(values).buffer),
  i64: (values: bigint[]) => Buffer.from(new BigInt64Array(values).buffer),
  bytes: (values: Buffer[]) =>
    Buffer.concat(values.flatMap((v) => [Buffer.from(new Uint32Array([v.length]).buffer), v])),
};

describe("gRPC ModelInfer: typed contents", () => {
  it("answers typed contents with typed contents, for every datatype that has a field", async () => {
    const { client } = await served();
    const inputs = [
      { name: "b", datatype: "BOOL", shape: [2], contents: { bool_contents: [true, false] } },
      { name: "i8", datatype: "INT8", shape: [2], contents: { int_contents: [-128, 127] } },
      { name: "u32", datatype: "UINT32", shape: [1], contents: { uint_contents: [4294967295] } },
      {
        name: "i64",
        datatype: "INT64",
        shape: [3],
        contents: { int64_contents: ["-9007199254740993", "5", "9223372036854775807"] },
      },
      {
        name: "u64",
        datatype: "UINT64",
        shape: [1],
        contents: { uint64_contents: ["18446744073709551615"] },
      },
      { name: "f32", datatype: "FP32", shape: [1, 2], contents: { fp32_contents: [0.5, -1.25] } },
      { name: "f64", datatype: "FP64", shape: [1], contents: { fp64_contents: [0.1] } },
      {
        name: "s",
        datatype: "BYTES",
        shape: [2],
        contents: { bytes_contents: [Buffer.from("héllo"), Buffer.from([0xff, 0])] },
      },
    ];
    const response = await client.ok<ModelInferResponse>("ModelInfer", {
      model_name: "echo",
      id: "r1",
      inputs,
    });
    expect(response.model_name).toBe("echo");
    expect(response.id).toBe("r1");
    expect(response.raw_output_contents).toBeUndefined();
    expect(response.outputs.map((o) => [o.name, o.datatype, o.shape, o.contents])).toEqual([
      ["b_out", "BOOL", ["2"], { bool_contents: [true, false] }],
      ["i8_out", "INT8", ["2"], { int_contents: [-128, 127] }],
      ["u32_out", "UINT32", ["1"], { uint_contents: [4294967295] }],
      // 64-bit integers stay exact beyond 2^53 on the way through.
      ["i64_out", "INT64", ["3"], { int64_contents: ["-9007199254740993", "5", "9223372036854775807"] }],
      ["u64_out", "UINT64", ["1"], { uint64_contents: ["18446744073709551615"] }],
      ["f32_out", "FP32", ["1", "2"], { fp32_contents: [0.5, -1.25] }],
      ["f64_out", "FP64", ["1"], { fp64_contents: [0.1] }],
      ["s_out", "BYTES", ["2"], { bytes_contents: [Buffer.from("héllo"), Buffer.from([0xff, 0])] }],
    ]);
  });

  it("keeps the outputs the request names, in its order, and carries parameters both ways", async () => {
    const { client } = await served();
    const response = await client.ok<ModelInferResponse>("ModelInfer", {
      model_name: "tagged",
      model_version: "2",
      parameters: { flag: { bool_param: true }, n: { int64_param: 7 }, s: { string_param: "x" } },
      inputs: [{ name: "x", datatype: "FP32", shape: [1], contents: { fp32_contents: [1] } }],
      outputs: [{ name: "seen" }],
    });
    expect(response.model_version).toBe("2");
    expect(response.outputs[0]?.contents?.bytes_contents?.[0]?.toString()).toBe(
      '{"flag":true,"n":7,"s":"x"}',
    );
    expect(response.parameters).toEqual({
      tagged: { bool_param: true, parameter_choice: "bool_param" },
      count: { int64_param: "2", parameter_choice: "int64_param" },
      ratio: { double_param: 0.5, parameter_choice: "double_param" },
      note: { string_param: "hi", parameter_choice: "string_param" },
    });
  });

  it("sends an FP16 output as raw contents, since the protocol has no typed field for it", async () => {
    const { client } = await served();
    const response = await client.ok<ModelInferResponse>("ModelInfer", {
      model_name: "half",
      inputs: [{ name: "x", datatype: "FP32", shape: [2], contents: { fp32_contents: [1, -2] } }],
    });
    expect(response.outputs[0]?.contents).toBeUndefined();
    // 1.0 and -2.0 as IEEE half floats, little-endian.
    expect(response.raw_output_contents).toEqual([Buffer.from([0x00, 0x3c, 0x00, 0xc0])]);
  });
});

describe("gRPC ModelInfer: raw contents", () => {
  it("answers raw_input_contents with raw_output_contents, byte for byte", async () => {
    const { client } = await served();
    const f32 = le.f32([1.5, 2.5, -3]);
    const i64 = le.i64([1n, 2n ** 62n, -3n]);
    const bytes = le.bytes([Buffer.from("hi"), Buffer.from([0xff, 0x00, 0x80])]);
    const response = await client.ok<ModelInferResponse>("ModelInfer", {
      model_name: "echo",
      inputs: [
        { name: "f", datatype: "FP32", shape: [1, 3] },
        { name: "i", datatype: "INT64", shape: [3] },
        { name: "s", datatype: "BYTES", shape: [2] },
      ],
      raw_input_contents: [f32, i64, bytes],
    });
    expect(response.outputs.map((o) => [o.name, o.datatype, o.shape, o.contents])).toEqual([
      ["f_out", "FP32", ["1", "3"], undefined],
      ["i_out", "INT64", ["3"], undefined],
      ["s_out", "BYTES", ["2"], undefined],
    ]);
    expect(response.raw_output_contents).toEqual([f32, i64, bytes]);
  });
});

describe("gRPC ModelInfer: caller mistakes are INVALID_ARGUMENT naming the input and the field", () => {
  const f32 = (name: string, shape: number[], contents?: object) => ({
    name,
    datatype: "FP32",
    shape,
    contents,
  });
  const cases: [string, object, string][] = [
    [
      "raw contents for only some inputs",
      { inputs: [f32("a", [1]), f32("b", [1])], raw_input_contents: [le.f32([1])] },
      'raw_input_contents has 1 entries but the request has 2 inputs: with raw contents, every input has its entry, in the order of "inputs"',
    ],
    [
      "an input sent both ways",
      { inputs: [f32("a", [1], { fp32_contents: [1] })], raw_input_contents: [le.f32([1])] },
      'input "a" has both contents.fp32_contents and raw_input_contents[0]; send its data one way',
    ],
    [
      "contents in another datatype's field",
      { inputs: [f32("a", [1], { int_contents: [1] })] },
      'input "a" is FP32, so its data goes in contents.fp32_contents, not contents.int_contents',
    ],
    [
      "fewer elements than the shape holds",
      { inputs: [f32("a", [2, 2], { fp32_contents: [1, 2, 3] })] },
      'input "a": contents.fp32_contents has 3 elements but its shape needs 4 elements',
    ],
    [
      "no data at all",
      { inputs: [f32("a", [1])] },
      'input "a": contents.fp32_contents has 0 elements but its shape needs 1 element (or send it in raw_input_contents)',
    ],
    [
      "FP16 as typed contents",
      { inputs: [{ name: "h", datatype: "FP16", shape: [1], contents: { fp32_contents: [1] } }] },
      'input "h": FP16 has no typed contents field in the protocol; send it in raw_input_contents',
    ],
    [
      "raw bytes that do not fill the shape",
      { inputs: [f32("a", [2])], raw_input_contents: [le.f32([1])] },
      'input "a": raw_input_contents[0] has 4 bytes but 2 FP32 elements take 8 bytes',
    ],
    [
      "a BYTES element longer than its raw entry",
      {
        inputs: [{ name: "s", datatype: "BYTES", shape: [1] }],
        raw_input_contents: [Buffer.from([9, 0, 0, 0, 0x61])],
      },
      'input "s": BYTES element 0 says 9 bytes, but only 1 are left in raw_input_contents[0]',
    ],
    [
      "an unknown datatype",
      { inputs: [{ name: "a", datatype: "fp32", shape: [1] }] },
      'input "a": unknown datatype "fp32" (did you mean "FP32"?)',
    ],
    [
      "a variable dimension in a request",
      { inputs: [f32("a", [-1], { fp32_contents: [1] })] },
      "-1 marks a variable dimension in model metadata; send the size",
    ],
    [
      "an INT8 value out of range",
      { inputs: [{ name: "a", datatype: "INT8", shape: [1], contents: { int_contents: [300] } }] },
      'input "a": element 0 of "data" must be an integer in [-128, 127] for INT8, got 300',
    ],
    ["no inputs", { inputs: [] }, '"inputs" must be a non-empty array'],
  ];
  it.each(cases)("%s", async (_, request, message) => {
    const { client } = await served();
    const error = await client.fails("ModelInfer", { model_name: "echo", ...request });
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toContain(message);
  });

  it("an input the model does not declare, with the model's inputs named", async () => {
    const { client } = await served();
    const error = await client.fails("ModelInfer", {
      model_name: "features",
      inputs: [{ name: "x", datatype: "FP32", shape: [1, 4], contents: { fp32_contents: [1, 2, 3, 4] } }],
    });
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toBe('input "x" is not an input of model "features" (its inputs: "features")');
  });

  it("a message beyond --body-limit is RESOURCE_EXHAUSTED", async () => {
    const { client } = await served({ bodyLimit: 1024 });
    const error = await client.fails("ModelInfer", {
      model_name: "echo",
      inputs: [{ name: "a", datatype: "FP32", shape: [1024] }],
      raw_input_contents: [Buffer.alloc(4096)],
    });
    expect(error.code).toBe(status.RESOURCE_EXHAUSTED);
  });
});

describe("gRPC ModelInfer: deadlines", () => {
  it("a model slower than the call's deadline is DEADLINE_EXCEEDED", async () => {
    const { client } = await served();
    const error = await client.fails(
      "ModelInfer",
      {
        model_name: "slow",
        inputs: [{ name: "x", datatype: "FP32", shape: [1], contents: { fp32_contents: [1] } }],
      },
      { deadlineMs: 300 },
    );
    expect(error.code).toBe(status.DEADLINE_EXCEEDED);
  });

  it("--max-timeout caps a longer deadline, as it caps x-request-timeout", async () => {
    const { client, gateway } = await served({ timeoutMs: 200, maxTimeoutMs: 200 });
    const error = await client.fails(
      "ModelInfer",
      {
        model_name: "slow",
        inputs: [{ name: "x", datatype: "FP32", shape: [1], contents: { fp32_contents: [1] } }],
      },
      { deadlineMs: 30_000, metadata: { "x-request-id": "slow-1" } },
    );
    expect(error.code).toBe(status.DEADLINE_EXCEEDED);
    expect(error.details).toBe("the request's deadline of 200 ms passed");
    expect(error.metadata.get("x-request-id")).toEqual(["slow-1"]);
    const metrics = await (await fetch(`${gateway.adminUrl}/metrics`)).text();
    expect(metrics).toContain('sluice_requests_total{graph="grpc",outcome="timeout"} 1');
  });

  it("a call without a deadline gets the server's --timeout", async () => {
    const { client } = await served({ timeoutMs: 200 });
    const error = await client.fails("ModelInfer", {
      model_name: "slow",
      inputs: [{ name: "x", datatype: "FP32", shape: [1], contents: { fp32_contents: [1] } }],
    });
    expect(error.code).toBe(status.DEADLINE_EXCEEDED);
    expect(error.details).toBe("the request's deadline of 200 ms passed");
  });
});
