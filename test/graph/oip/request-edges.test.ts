import { describe, expect, it } from "vitest";
import { parseInferRequest } from "../../../src/graph/oip/index.js";
import { bigintElement, preview, quoted } from "../../../src/graph/oip/request.js";

/** The 400 message for one input tensor `tensor`, or its parsed data. */
function outcome(tensor: Record<string, unknown>): unknown {
  try {
    return parseInferRequest({ inputs: [{ name: "x", ...tensor }] }).inputs[0]?.data;
  } catch (error) {
    expect(error).toMatchObject({ code: "SLUICE_ERR_INPUT", status: 400 });
    return (error as Error).message;
  }
}

const int64 = (data: unknown[]) => outcome({ shape: [data.length], datatype: "INT64", data });
const uint64 = (data: unknown[]) => outcome({ shape: [data.length], datatype: "UINT64", data });

describe("an infer request's values, at their edges", () => {
  it("takes 64-bit integers up to their bounds, as numbers or digit strings, and not one past", () => {
    const min = "-9223372036854775808";
    const max = "9223372036854775807";
    expect(int64([min, max, -(2 ** 63), 0, "-1"])).toEqual([min, max, -(2 ** 63), 0, "-1"]);
    const belowMin = -(2 ** 63) - 2048; // the double next below -2^63
    for (const past of [
      "-9223372036854775809",
      "9223372036854775808",
      2 ** 63,
      belowMin,
      "x1",
      "1x",
      "1.5",
      1.5,
    ]) {
      expect(int64([past])).toMatch(
        /element 0 of "data" must be an integer in \[-9223372036854775808, 9223372036854775807\]/,
      );
    }
    expect(uint64(["18446744073709551615", 0, "0", 2 ** 63])).toEqual([
      "18446744073709551615",
      0,
      "0",
      2 ** 63,
    ]);
    for (const past of ["18446744073709551616", 2 ** 64, -1, "-1"]) {
      expect(uint64([past])).toMatch(/element 0 of "data" must be an integer in \[0, 18446744073709551615\]/);
    }
  });

  it("checks every element, the last one too, for each kind of datatype", () => {
    const cases: [string, unknown[], string][] = [
      ["INT8", [1, 2, 128], "an integer in [-128, 127]"],
      ["BOOL", [true, false, 1], "true or false"],
      ["BYTES", ["a", "b", 3], "a string"],
      ["FP32", [1, 2, "3"], "a number"],
      ["INT64", [1, 2, 2.5], "an integer in [-9223372036854775808"],
    ];
    for (const [datatype, data, wanted] of cases) {
      expect(outcome({ shape: [3], datatype, data })).toContain(`element 2 of "data" must be ${wanted}`);
    }
  });

  it("names a bad shape, and says what -1 means when it is sent", () => {
    expect(outcome({ shape: [-1], datatype: "FP32", data: [1] })).toBe(
      'input "x": "shape" must be an array of non-negative integers, got [-1] (-1 marks a variable dimension in model metadata; send the size)',
    );
    expect(outcome({ shape: ["2"], datatype: "FP32", data: [1, 2] })).toBe(
      'input "x": "shape" must be an array of non-negative integers, got ["2"]',
    );
    expect(outcome({ shape: "2", datatype: "FP32", data: [1, 2] })).toBe(
      'input "x": "shape" must be an array of non-negative integers, got "2"',
    );
  });

  it("flattens nested data as deep as the shape goes, and no deeper", () => {
    expect(
      outcome({
        shape: [2, 2],
        datatype: "FP32",
        data: [
          [1, 2],
          [3, 4],
        ],
      }),
    ).toEqual([1, 2, 3, 4]);
    expect(outcome({ shape: [2, 1], datatype: "FP32", data: [1, [2]] })).toEqual([1, 2]);
    expect(outcome({ shape: [1, 2], datatype: "FP32", data: [[[1], 2]] })).toBe(
      'input "x": "data" is nested deeper than shape [1,2] allows',
    );
    expect(outcome({ shape: [2], datatype: "FP32", data: { 0: 1 } })).toBe(
      'input "x": "data" must be an array (flat or nested), got {"0":1}',
    );
  });

  it("refuses binary_data_size without a binary part, and keeps parameters it was given", () => {
    expect(outcome({ shape: [1], datatype: "FP32", parameters: { binary_data_size: 4 } })).toMatch(
      /"parameters.binary_data_size" says its data is binary, but the body has no binary part/,
    );
    const parsed = parseInferRequest({
      inputs: [{ name: "x", shape: [1], datatype: "FP32", data: [1], parameters: { a: 1 } }],
    });
    expect(parsed.inputs[0]?.parameters).toEqual({ a: 1 });
    expect(
      parseInferRequest({ inputs: [{ name: "x", shape: [1], datatype: "FP32", data: [1] }] }).inputs[0],
    ).not.toHaveProperty("parameters");
  });

  it("reads a JSON tensor's data when a binary_data_size is left beside it, keeping the parameter", () => {
    const tensor = {
      name: "x",
      shape: [1],
      datatype: "FP32",
      parameters: { binary_data_size: 4 },
      data: [1.5],
    };
    expect(parseInferRequest({ inputs: [tensor] }).inputs[0]).toEqual(tensor);
  });

  it("hands the model the outputs asked for with the parameters sent, and none where none were sent", () => {
    const parsed = parseInferRequest({
      inputs: [{ name: "x", shape: [1], datatype: "FP32", data: [1] }],
      outputs: [{ name: "a" }, { name: "b", parameters: { binary_data: true } }],
    });
    expect(parsed.outputs).toStrictEqual([{ name: "a" }, { name: "b", parameters: { binary_data: true } }]);
  });

  it("names a second input of the same name with both places, and an empty name", () => {
    const t = { shape: [1], datatype: "FP32", data: [1] };
    expect(() =>
      parseInferRequest({
        inputs: [
          { name: "a", ...t },
          { name: "b", ...t },
          { name: "a", ...t },
        ],
      }),
    ).toThrow('input "a" appears more than once in "inputs" (inputs[0] and inputs[2])');
    expect(() => parseInferRequest({ inputs: [{ name: "", ...t }] })).toThrow(
      'inputs[0]: "name" must be a non-empty string, got ""',
    );
    expect(() => parseInferRequest({ inputs: [{ name: "a", ...t }], outputs: [{ name: "" }] })).toThrow(
      'outputs[0]: "name" must be a non-empty string, got ""',
    );
  });

  it("checks a request again when a step built it anew, not when it is the one already checked", () => {
    const checked = parseInferRequest({ inputs: [{ name: "x", shape: [1], datatype: "FP32", data: [1] }] });
    expect(parseInferRequest(checked)).toBe(checked);
    const rebuilt = { ...checked, inputs: [{ ...checked.inputs[0], data: ["not a number"] }] };
    expect(() => parseInferRequest(rebuilt)).toThrow('element 0 of "data" must be a number');
  });
});

describe("messages quoting what a caller sent", () => {
  it("quote a name, and cut one longer than 60 characters", () => {
    expect(quoted("x".repeat(60))).toBe(`"${"x".repeat(60)}"`);
    expect(quoted("x".repeat(61))).toBe(`"${"x".repeat(56)}...`);
  });

  it("preview any value in at most 60 characters", () => {
    expect(preview(undefined)).toBe("nothing");
    expect(preview(5n)).toBe("5n");
    expect(preview(() => 1)).toBe("a function");
    expect(preview(Symbol("s"))).toBe("a symbol");
    expect(preview("a".repeat(58))).toBe(`"${"a".repeat(58)}"`);
    expect(preview("a".repeat(59))).toBe(`"${"a".repeat(56)}...`);
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expect(preview(cyclic)).toBe("an array");
    const self: Record<string, unknown> = {};
    self.self = self;
    expect(preview(self)).toBe("an object");
  });

  it("give 64-bit integers as numbers when exact, else as their digits", () => {
    expect(bigintElement(BigInt(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    expect(bigintElement(BigInt(Number.MIN_SAFE_INTEGER))).toBe(Number.MIN_SAFE_INTEGER);
    expect(bigintElement(BigInt(Number.MAX_SAFE_INTEGER) + 1n)).toBe("9007199254740992");
    expect(bigintElement(BigInt(Number.MIN_SAFE_INTEGER) - 1n)).toBe("-9007199254740992");
  });
});
