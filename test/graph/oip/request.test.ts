import { describe, expect, it } from "vitest";
import { SluiceError } from "../../../src/errors.js";
import { parseInferRequest } from "../../../src/graph/oip/index.js";
import { oipValidator } from "../../helpers/oip-spec.js";

const fp32 = (data: unknown, shape: unknown = [2]) => ({ name: "x", shape, datatype: "FP32", data });
const one = (input: Record<string, unknown>) => ({ inputs: [input] });
const asBody = (data: unknown, shape?: unknown) => one(fp32(data, shape));
const tensor = (datatype: string, data: unknown[], shape = [data.length]) =>
  one({ name: "x", shape, datatype, data });

function rejection(body: unknown): SluiceError {
  try {
    parseInferRequest(body);
  } catch (error) {
    if (error instanceof SluiceError) return error;
    throw error;
  }
  throw new Error("the request was accepted");
}

describe("parseInferRequest: what a caller gets for a malformed request", () => {
  const cases: [string, unknown, string][] = [
    ["a body that is not an object", [1], "the request body must be a JSON object {inputs: [...]}, got [1]"],
    ["a null body", null, "the request body must be a JSON object {inputs: [...]}, got null"],
    [
      "no inputs",
      {},
      '"inputs" must be a non-empty array of tensors {name, shape, datatype, data}, got nothing',
    ],
    [
      "empty inputs",
      { inputs: [] },
      '"inputs" must be a non-empty array of tensors {name, shape, datatype, data}, got []',
    ],
    [
      "inputs as an object",
      { inputs: { x: 1 } },
      '"inputs" must be a non-empty array of tensors {name, shape, datatype, data}, got {"x":1}',
    ],
    ["a non-string id", { id: 42, inputs: [fp32([1, 2])] }, '"id" must be a string, got 42'],
    [
      "request parameters that are not an object",
      { parameters: [], inputs: [fp32([1, 2])] },
      'the request: "parameters" must be an object, got []',
    ],
    [
      "an input that is not an object",
      { inputs: ["x"] },
      'inputs[0] must be an object {name, shape, datatype, data}, got "x"',
    ],
    [
      "an input without a name",
      one({ shape: [1], datatype: "FP32", data: [1] }),
      'inputs[0]: "name" must be a non-empty string, got nothing',
    ],
    [
      "an input with an empty name",
      one({ name: "", shape: [1], datatype: "FP32", data: [1] }),
      'inputs[0]: "name" must be a non-empty string, got ""',
    ],
    [
      "two inputs with one name",
      { inputs: [fp32([1, 2]), fp32([3, 4])] },
      'input "x" appears more than once in "inputs" (inputs[0] and inputs[1])',
    ],
    [
      "an input without a datatype",
      one({ name: "x", shape: [1], data: [1] }),
      'input "x": "datatype" is missing',
    ],
    [
      "an unknown datatype",
      tensor("FLOAT32", [1]),
      'input "x": unknown datatype "FLOAT32"; expected one of BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, FP32, FP64, BF16, BYTES',
    ],
    [
      "a datatype that is not a string",
      tensor(32 as unknown as string, [1]),
      'input "x": unknown datatype 32; expected one of BOOL,',
    ],
    [
      "a lower-case datatype",
      tensor("fp32", [1]),
      'input "x": unknown datatype "fp32" (did you mean "FP32"?); expected one of',
    ],
    [
      "no shape",
      one({ name: "x", datatype: "FP32", data: [1] }),
      'input "x": "shape" must be an array of non-negative integers, got nothing',
    ],
    [
      "a shape that is a number",
      asBody([1, 2], 2),
      'input "x": "shape" must be an array of non-negative integers, got 2',
    ],
    [
      "a fractional dimension",
      asBody([1, 2], [1.5]),
      'input "x": "shape" must be an array of non-negative integers, got [1.5]',
    ],
    [
      "a dimension as a string",
      asBody([1, 2], ["2"]),
      'input "x": "shape" must be an array of non-negative integers, got ["2"]',
    ],
    [
      "a -1 dimension",
      asBody([1, 2], [-1]),
      'input "x": "shape" must be an array of non-negative integers, got [-1] (-1 marks a variable dimension in model metadata; send the size)',
    ],
    [
      "input parameters that are not an object",
      one({ ...fp32([1, 2]), parameters: "binary" }),
      'input "x": "parameters" must be an object, got "binary"',
    ],
    ["no data", one({ name: "x", shape: [1], datatype: "FP32" }), 'input "x": "data" is missing'],
    [
      "binary_data_size without a binary body",
      one({ name: "x", shape: [1], datatype: "FP32", parameters: { binary_data_size: 4 } }),
      'input "x": "parameters.binary_data_size" says its data is binary, but the body has no binary part (send the Inference-Header-Content-Length header)',
    ],
    [
      "data that is not an array",
      asBody("1,2"),
      'input "x": "data" must be an array (flat or nested), got "1,2"',
    ],
    [
      "too few elements",
      asBody([1, 2, 3], [2, 2]),
      'input "x": "data" has 3 elements but shape [2,2] needs 4',
    ],
    [
      "too many nested elements",
      asBody(
        [
          [1, 2],
          [3, 4],
        ],
        [3],
      ),
      'input "x": "data" is nested deeper than shape [3] allows',
    ],
    [
      "a ragged nested array",
      asBody([[1, 2], [3]], [2, 2]),
      'input "x": "data" has 3 elements but shape [2,2] needs 4',
    ],
    [
      "a number for BOOL",
      tensor("BOOL", [true, 1]),
      'input "x": element 1 of "data" must be true or false for BOOL, got 1',
    ],
    [
      "a string for FP32",
      tensor("FP32", [1, "2.5"]),
      'input "x": element 1 of "data" must be a number for FP32, got "2.5"',
    ],
    [
      "null for FP64",
      tensor("FP64", [null]),
      'input "x": element 0 of "data" must be a number for FP64, got null',
    ],
    [
      "a number for BYTES",
      tensor("BYTES", ["a", 5]),
      'input "x": element 1 of "data" must be a string for BYTES, got 5',
    ],
    [
      "a fraction for INT32",
      tensor("INT32", [1.5]),
      'input "x": element 0 of "data" must be an integer in [-2147483648, 2147483647] for INT32, got 1.5',
    ],
    [
      "300 for UINT8",
      tensor("UINT8", [300]),
      'input "x": element 0 of "data" must be an integer in [0, 255] for UINT8, got 300',
    ],
    [
      "-129 for INT8",
      tensor("INT8", [-129]),
      'input "x": element 0 of "data" must be an integer in [-128, 127] for INT8, got -129',
    ],
    [
      "a negative UINT16",
      tensor("UINT16", [-1]),
      'input "x": element 0 of "data" must be an integer in [0, 65535] for UINT16, got -1',
    ],
    [
      "2^32 for UINT32",
      tensor("UINT32", [2 ** 32]),
      'input "x": element 0 of "data" must be an integer in [0, 4294967295] for UINT32, got 4294967296',
    ],
    [
      "a digit string for INT32",
      tensor("INT32", ["7"]),
      'input "x": element 0 of "data" must be an integer in [-2147483648, 2147483647] for INT32, got "7"',
    ],
    [
      "a non-digit string for INT64",
      tensor("INT64", ["12a"]),
      'input "x": element 0 of "data" must be an integer in [-9223372036854775808, 9223372036854775807] (a number, or a string of digits to be exact beyond 2^53) for INT64, got "12a"',
    ],
    [
      "2^63 as a string for INT64",
      tensor("INT64", ["9223372036854775808"]),
      'for INT64, got "9223372036854775808"',
    ],
    ["2^63 as a number for INT64", tensor("INT64", [2 ** 63]), "for INT64, got 9223372036854776000"],
    [
      "a negative UINT64",
      tensor("UINT64", ["-1"]),
      'input "x": element 0 of "data" must be an integer in [0, 18446744073709551615] (a number, or a string of digits to be exact beyond 2^53) for UINT64, got "-1"',
    ],
    [
      "outputs that are not an array",
      { inputs: [fp32([1, 2])], outputs: "y" },
      '"outputs" must be an array of {name, parameters?}, got "y"',
    ],
    [
      "an output that is a string",
      { inputs: [fp32([1, 2])], outputs: ["y"] },
      'outputs[0] must be an object {name, parameters?}, got "y"',
    ],
    [
      "an output without a name",
      { inputs: [fp32([1, 2])], outputs: [{}] },
      'outputs[0]: "name" must be a non-empty string, got nothing',
    ],
    [
      "an output asked for twice",
      { inputs: [fp32([1, 2])], outputs: [{ name: "y" }, { name: "y" }] },
      'output "y" is requested more than once in "outputs"',
    ],
    [
      "output parameters that are not an object",
      { inputs: [fp32([1, 2])], outputs: [{ name: "y", parameters: 1 }] },
      'output "y": "parameters" must be an object, got 1',
    ],
  ];

  it.each(cases)("%s gets a 400 saying what is wrong", (_what, body, message) => {
    const error = rejection(body);
    expect(error.code).toBe("SLUICE_ERR_INPUT");
    expect(error.status).toBe(400);
    expect(error.message).toContain(message);
  });

  it("a huge offending value is quoted in a few words, not echoed whole", () => {
    const error = rejection({ inputs: ["x".repeat(10_000)] });
    expect(error.message.length).toBeLessThan(150);
  });
});

describe("parseInferRequest: what a valid request becomes", () => {
  it("flat data is used as it is, without a copy", () => {
    const data = [1, 2, 3, 4];
    const request = parseInferRequest({ inputs: [fp32(data, [2, 2])] });
    expect(request.inputs[0]?.data).toBe(data);
  });

  it("nested data arrives flat, in row-major order", () => {
    const request = parseInferRequest({
      inputs: [
        fp32(
          [
            [
              [1, 2],
              [3, 4],
            ],
            [
              [5, 6],
              [7, 8],
            ],
          ],
          [2, 2, 2],
        ),
      ],
    });
    expect(request.inputs[0]?.data).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(request.inputs[0]?.shape).toEqual([2, 2, 2]);
  });

  it("nested and flat data give the same request", () => {
    const nested = parseInferRequest({
      inputs: [
        fp32(
          [
            [1, 2, 3],
            [4, 5, 6],
          ],
          [2, 3],
        ),
      ],
    });
    const flat = parseInferRequest({ inputs: [fp32([1, 2, 3, 4, 5, 6], [2, 3])] });
    expect(nested).toEqual(flat);
  });

  it("a scalar has shape [] and one element; an empty tensor has a 0 dimension and no data", () => {
    expect(parseInferRequest({ inputs: [fp32([7], [])] }).inputs[0]?.data).toEqual([7]);
    expect(parseInferRequest({ inputs: [fp32([], [0, 3])] }).inputs[0]?.data).toEqual([]);
  });

  it("keeps id, parameters and outputs, and drops fields the protocol does not define", () => {
    const request = parseInferRequest({
      id: "42",
      parameters: { priority: 1 },
      inputs: [{ ...fp32([1, 2]), parameters: { content_type: "np" }, extra: true }],
      outputs: [{ name: "y", parameters: { binary_data: true } }, { name: "z" }],
      stray: "field",
    });
    expect(request).toEqual({
      id: "42",
      parameters: { priority: 1 },
      inputs: [{ name: "x", shape: [2], datatype: "FP32", parameters: { content_type: "np" }, data: [1, 2] }],
      outputs: [{ name: "y", parameters: { binary_data: true } }, { name: "z" }],
    });
  });

  it("leaves absent optional fields out", () => {
    expect(Object.keys(parseInferRequest({ inputs: [fp32([1, 2])] }))).toEqual(["inputs"]);
  });

  it("accepts every datatype with elements of its kind", () => {
    const good: [string, unknown[]][] = [
      ["BOOL", [true, false]],
      ["UINT8", [0, 255]],
      ["UINT16", [0, 65535]],
      ["UINT32", [0, 4294967295]],
      ["UINT64", [0, "18446744073709551615"]],
      ["INT8", [-128, 127]],
      ["INT16", [-32768, 32767]],
      ["INT32", [-2147483648, 2147483647]],
      ["INT64", [-(2 ** 53), "-9223372036854775808"]],
      ["FP16", [0.5, -65504]],
      ["FP32", [1.5, -0]],
      ["FP64", [Math.PI, 1e300]],
      ["BF16", [1, 3e38]],
      ["BYTES", ["", "héllo"]],
    ];
    for (const [datatype, data] of good) {
      expect(parseInferRequest(tensor(datatype, data)).inputs[0]?.data, datatype).toEqual(data);
    }
  });

  it("keeps 64-bit integers sent as strings exact", () => {
    const request = parseInferRequest(tensor("INT64", ["9223372036854775807", 5]));
    expect(request.inputs[0]?.data).toEqual(["9223372036854775807", 5]);
  });

  it("a normalised request is still a valid request by the spec", () => {
    const validate = oipValidator("inference_request");
    const request = parseInferRequest({
      id: "1",
      inputs: [fp32([[1, 2]], [1, 2]), { name: "b", shape: [1], datatype: "BYTES", data: ["s"] }],
      outputs: [{ name: "y" }],
    });
    expect(validate(request)).toBe(true);
  });
});
