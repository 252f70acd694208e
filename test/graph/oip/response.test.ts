import { describe, expect, it } from "vitest";
import { SluiceError } from "../../../src/errors.js";
import {
  errorBody,
  inferResponse,
  jsonSafeBytes,
  type ModelMetadata,
  normaliseOutputs,
  parseInferRequest,
  type ServerMetadata,
} from "../../../src/graph/oip/index.js";
import { oipValidator } from "../../helpers/oip-spec.js";
import { withElementArrays } from "../../helpers/tensors.js";

function failure(run: () => unknown): SluiceError {
  try {
    run();
  } catch (error) {
    if (error instanceof SluiceError) return error;
    throw error;
  }
  throw new Error("no error was thrown");
}

const probs = { name: "probs", shape: [2], datatype: "FP32", data: [0.25, 0.75] } as const;
const label = { name: "label", shape: [1], datatype: "BYTES", data: ["cat"] } as const;

describe("inferResponse: the body a caller gets back", () => {
  const validate = oipValidator("inference_response");

  it("echoes the request id and the model's name and version, and conforms to the spec", () => {
    const response = inferResponse("iris", "2", "req-1", normaliseOutputs([probs]), { took_ms: 3 });
    expect(response).toEqual({
      model_name: "iris",
      model_version: "2",
      id: "req-1",
      parameters: { took_ms: 3 },
      outputs: [probs],
    });
    expect(validate(response)).toBe(true);
  });

  it("leaves out the version, id and parameters it does not have, rather than sending nulls", () => {
    const response = inferResponse("iris", undefined, undefined, normaliseOutputs(probs));
    expect(Object.keys(response)).toEqual(["model_name", "outputs"]);
    expect(validate(JSON.parse(JSON.stringify(response)))).toBe(true);
  });

  it("answers a parsed request with every datatype in a spec-conformant body", () => {
    const request = parseInferRequest({
      id: "7",
      inputs: [
        { name: "b", shape: [2], datatype: "BOOL", data: [true, false] },
        { name: "i", shape: [2, 1], datatype: "INT64", data: [[1], ["9223372036854775807"]] },
        { name: "f", shape: [1], datatype: "FP16", data: [0.5] },
        { name: "s", shape: [], datatype: "BYTES", data: ["x"] },
      ],
    });
    const response = inferResponse("echo", undefined, request.id, normaliseOutputs(request.inputs));
    expect(validate(JSON.parse(JSON.stringify(response)))).toBe(true);
  });

  it("an error body is {error: message}, as the spec's error schemas say", () => {
    const body = errorBody(new SluiceError("SLUICE_ERR_INPUT", 'input "x": "data" is missing'));
    expect(body).toEqual({ error: 'input "x": "data" is missing' });
    expect(oipValidator("inference_error_response")(body)).toBe(true);
    expect(oipValidator("metadata_model_error_response")(body)).toBe(true);
    expect(oipValidator("metadata_server_error_response")(errorBody("plain"))).toBe(true);
  });
});

describe("metadata: what GET /v2 and GET /v2/models/<m> answer", () => {
  it("server and model metadata shaped by our types conform to the spec", () => {
    const server: ServerMetadata = { name: "sluice", version: "0.1.0", extensions: ["binary_tensor_data"] };
    const model: ModelMetadata = {
      name: "iris",
      versions: ["1"],
      platform: "sluice",
      inputs: [{ name: "x", datatype: "FP32", shape: [-1, 4] }],
      outputs: [{ name: "y", datatype: "INT64", shape: [-1] }],
    };
    expect(oipValidator("metadata_server_response")(server)).toBe(true);
    expect(oipValidator("metadata_model_response")(model)).toBe(true);
    expect(oipValidator("metadata_model_response")({ name: "iris" })).not.toBe(true);
  });
});

describe("normaliseOutputs: what a model's predict may return", () => {
  it("an array of tensors is kept, with nested data flattened", () => {
    const outputs = normaliseOutputs([{ ...probs, shape: [1, 2], data: [[0.25, 0.75]] }, label]);
    expect(outputs).toEqual([{ ...probs, shape: [1, 2] }, label]);
  });

  it("a single tensor becomes a list of one", () => {
    expect(normaliseOutputs(label)).toEqual([label]);
  });

  it("a whole V2 response contributes its outputs", () => {
    expect(normaliseOutputs({ model_name: "remote", outputs: [label] })).toEqual([label]);
  });

  it("a plain array of fractions becomes one FP64 tensor output-0", () => {
    expect(normaliseOutputs([0.1, 0.9])).toEqual([
      { name: "output-0", shape: [2], datatype: "FP64", data: [0.1, 0.9] },
    ]);
  });

  it("a plain array of integers becomes INT64, and nested arrays give the shape", () => {
    expect(
      normaliseOutputs([
        [1, 2, 3],
        [4, 5, 6],
      ]),
    ).toEqual([{ name: "output-0", shape: [2, 3], datatype: "INT64", data: [1, 2, 3, 4, 5, 6] }]);
  });

  it("plain booleans become BOOL, plain strings BYTES, and [] an empty FP64 tensor", () => {
    expect(normaliseOutputs([true])[0]?.datatype).toBe("BOOL");
    expect(normaliseOutputs([["a"], ["b"]])[0]).toMatchObject({ datatype: "BYTES", shape: [2, 1] });
    expect(normaliseOutputs([])).toEqual([{ name: "output-0", shape: [0], datatype: "FP64", data: [] }]);
  });

  it("a typed array becomes a tensor of its datatype, kept as it is and written to JSON as an array", () => {
    const scores = new Float32Array([0.5, 1]);
    const [tensor] = normaliseOutputs(scores);
    expect(withElementArrays(tensor)).toEqual({
      name: "output-0",
      shape: [2],
      datatype: "FP32",
      data: [0.5, 1],
    });
    expect(tensor?.data).toBeInstanceOf(Float32Array);
    expect((tensor?.data as Float32Array | undefined)?.buffer).toBe(scores.buffer); // not copied
    expect(JSON.parse(JSON.stringify(tensor))).toEqual({
      name: "output-0",
      shape: [2],
      datatype: "FP32",
      data: [0.5, 1],
    });
    expect(normaliseOutputs(new BigInt64Array([2n ** 62n]))[0]?.data).toEqual(["4611686018427387904"]);
    expect(
      Array.from(
        normaliseOutputs({ name: "y", shape: [2], datatype: "INT32", data: new Int32Array([1, 2]) })[0]
          ?.data as Int32Array,
      ),
    ).toEqual([1, 2]);
    // A typed array of another kind than the datatype's is read as elements and checked.
    expect(
      normaliseOutputs({ name: "y", shape: [2], datatype: "FP32", data: new Float64Array([0.1, 2]) })[0]
        ?.data,
    ).toEqual([0.1, 2]);
    expect(() =>
      normaliseOutputs({ name: "y", shape: [1], datatype: "UINT8", data: new Int16Array([-1]) }),
    ).toThrow('element 0 of "data" must be an integer in [0, 255] for UINT8, got -1');
  });

  it("keeps only the requested outputs, in the requested order", () => {
    expect(normaliseOutputs([probs, label], [{ name: "label" }])).toEqual([label]);
    expect(normaliseOutputs([probs, label], [{ name: "label" }, { name: "probs" }])).toEqual([label, probs]);
    expect(normaliseOutputs([probs, label], [])).toEqual([probs, label]);
  });

  it("asking for an output the model does not produce is the caller's 400, naming what exists", () => {
    const error = failure(() => normaliseOutputs([probs, label], [{ name: "score" }]));
    expect(error.code).toBe("SLUICE_ERR_INPUT");
    expect(error.message).toBe('output "score" was requested, but the model produces only: "probs", "label"');
    const none = failure(() => normaliseOutputs({ outputs: [] }, [{ name: "score" }]));
    expect(none.message).toBe('output "score" was requested, but the model produces only: none');
  });

  const garbage: [string, unknown, string][] = [
    ["undefined", undefined, "the model returned nothing; predict must return OIP tensors"],
    ["a number", 42, "the model returned 42; predict must return OIP tensors"],
    [
      "an object that is no tensor",
      { score: 1 },
      'the model returned {"score":1}; predict must return OIP tensors',
    ],
    ["a ragged array", [[1, 2], [3]], "the model returned a ragged array (rows of different lengths)"],
    ["an array mixing kinds", [1, "a"], "the model returned an array mixing numbers and other values"],
    ["an array of nulls", [null], "the model returned an array of null...; predict must return"],
    [
      "a tensor with a bad datatype",
      [{ ...probs, datatype: "F32" }],
      `the model's output "probs": unknown datatype "F32"`,
    ],
    [
      "a tensor without a name",
      [{ shape: [1], datatype: "FP32", data: [1] }],
      `the model's output #0: "name" must be a non-empty string`,
    ],
    [
      "a tensor whose data disagrees with its shape",
      [{ ...probs, shape: [3] }],
      `the model's output "probs": "data" has 2 elements but shape [3] needs 3`,
    ],
    [
      "a tensor with wrong elements",
      [{ ...probs, data: ["a", "b"] }],
      `the model's output "probs": element 0 of "data" must be a number for FP32`,
    ],
    [
      "INT64 elements as BigInts in a plain array",
      [{ name: "n", shape: [1], datatype: "INT64", data: [5n] }],
      `the model's output "n": element 0 of "data" must be an integer in [-9223372036854775808, 9223372036854775807] (a number, or a string of digits to be exact beyond 2^53) for INT64, got 5n`,
    ],
    ["one output twice", [probs, probs], 'the model returned output "probs" twice'],
    ["a DataView", new DataView(new ArrayBuffer(4)), "the model returned {}; predict must return"],
  ];

  it.each(garbage)(
    "a model returning %s fails the request with a 500 saying why",
    (_what, value, message) => {
      const error = failure(() => normaliseOutputs(value));
      expect(error.code).toBe("SLUICE_ERR_STEP_FAILED");
      expect(error.status).toBe(500);
      expect(error.message).toContain(message);
    },
  );
});

describe("a model's outputs, at their edges", () => {
  it("take each typed array's datatype, 64-bit integers as numbers or strings", () => {
    const cases: [ArrayBufferView, string, unknown[]][] = [
      [new Float32Array([0.5]), "FP32", [0.5]],
      [new Float64Array([0.25]), "FP64", [0.25]],
      [new Int8Array([-1]), "INT8", [-1]],
      [new Int16Array([-2]), "INT16", [-2]],
      [new Int32Array([-3]), "INT32", [-3]],
      [new BigInt64Array([-4n]), "INT64", [-4]],
      [new Uint8Array([5]), "UINT8", [5]],
      [new Uint8ClampedArray([6]), "UINT8", [6]],
      [new Uint16Array([7]), "UINT16", [7]],
      [new Uint32Array([8]), "UINT32", [8]],
      [new BigUint64Array([2n ** 64n - 1n]), "UINT64", ["18446744073709551615"]],
    ];
    for (const [array, datatype, data] of cases) {
      expect(withElementArrays(normaliseOutputs(array))).toEqual([
        { name: "output-0", shape: [data.length], datatype, data },
      ]);
    }
  });

  it("infer INT64 only when every number is a safe integer, and read a list as tensors only when all are records", () => {
    expect(normaliseOutputs([1, 2, 3])[0]?.datatype).toBe("INT64");
    expect(normaliseOutputs([1, 2.5])[0]?.datatype).toBe("FP64");
    expect(normaliseOutputs([2.5, 1])[0]?.datatype).toBe("FP64");
    const y = { name: "y", datatype: "FP64", shape: [1], data: [1] };
    const z = { name: "z", datatype: "FP64", shape: [1], data: [2] };
    expect(normaliseOutputs([y, z]).map((t) => t.name)).toEqual(["y", "z"]);
    expect(() => normaliseOutputs([y, 5])).toThrow(
      "the model returned an array mixing objects and other values",
    );
  });

  it("read a lone record as a tensor when it has data or a datatype, and refuse the same output twice", () => {
    expect(normaliseOutputs({ name: "y", datatype: "FP64", shape: [1], data: [1] })).toMatchObject([
      { name: "y" },
    ]);
    expect(() => normaliseOutputs({ name: "y", data: [1], shape: [1] })).toThrow(
      'the model\'s output "y": "datatype" is missing',
    );
    expect(() => normaliseOutputs({ name: "y", datatype: "FP64", shape: [1] })).toThrow(
      'the model\'s output "y"',
    );
    const y = { name: "y", datatype: "FP64", shape: [1], data: [1] };
    expect(() => normaliseOutputs([y, { ...y }])).toThrow('the model returned output "y" twice');
  });

  it("send BYTES that are not text as base64 only in the outputs that hold them", () => {
    const text = { name: "t", datatype: "BYTES", shape: [1], data: ["plain"] };
    const raw = { name: "r", datatype: "BYTES", shape: [2], data: [Buffer.from([0xff]), "ok"] };
    const numbers = { name: "n", datatype: "FP64", shape: [1], data: [1] };
    const result = { model_name: "m", outputs: [text, raw, numbers] };
    expect(jsonSafeBytes(result)).toEqual({
      model_name: "m",
      outputs: [text, { ...raw, parameters: { content_type: "base64" }, data: ["/w==", "b2s="] }, numbers],
    });
    expect(result.outputs[1]).toBe(raw); // the model's own result is not changed
    const untouched = { outputs: [text, numbers] };
    expect(jsonSafeBytes(untouched)).toBe(untouched);
    for (const other of [null, undefined, 5, { outputs: "none" }]) expect(jsonSafeBytes(other)).toBe(other);
  });

  it("leave a graph's answer that only looks like OIP outputs as it is, Buffers outside BYTES too", () => {
    const answer = {
      outputs: [
        null,
        { name: "s", datatype: "BYTES", data: "not a list" },
        { name: "b", datatype: "FP32", data: [Buffer.from([1])] },
      ],
    };
    expect(jsonSafeBytes(answer)).toBe(answer);
  });
});
