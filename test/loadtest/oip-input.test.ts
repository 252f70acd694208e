import { describe, expect, it } from "vitest";
import { SluiceError } from "../../src/errors.js";
import { DATATYPES, parseInferRequest } from "../../src/graph/oip/index.js";
import { oipRequestBody, parseOipInput, randomTensor } from "../../src/loadtest/index.js";

describe("--oip-input name:DATATYPE:shape", () => {
  it("reads the name, the datatype (in any case) and the shape", () => {
    expect(parseOipInput("features:fp32:1x4")).toEqual({ name: "features", datatype: "FP32", shape: [1, 4] });
    expect(parseOipInput("ns:input:BYTES:2,3,5")).toEqual({
      name: "ns:input",
      datatype: "BYTES",
      shape: [2, 3, 5],
    });
  });

  it.each([
    ["features", "expected name:DATATYPE:shape"],
    [":FP32:1x4", "needs a name"],
    ["x:FLOAT:1x4", 'unknown datatype "FLOAT"'],
    ["x:FP32:1x0", 'the shape "1x0" must be whole numbers'],
    ["x:FP32:", 'the shape "" must be whole numbers'],
    ["x:FP32:-1x4", "must be whole numbers"],
    ["x:FP32:10000x10000", "more than 10,000,000 elements"],
  ])("refuses %s as a usage error that says why", (text, why) => {
    const error = (() => {
      try {
        parseOipInput(text);
      } catch (e) {
        return e;
      }
    })() as SluiceError;
    expect(error).toBeInstanceOf(SluiceError);
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(why);
    expect(error.hint).toContain("features:FP32:1x4");
  });

  it.each(DATATYPES)("fills a %s tensor with as many values of that type as its shape holds", (datatype) => {
    const tensor = randomTensor({ name: "t", datatype, shape: [2, 3] });
    expect(tensor).toMatchObject({ name: "t", datatype, shape: [2, 3] });
    expect(tensor.data).toHaveLength(6);
    for (const value of tensor.data) {
      if (datatype === "BOOL") expect(typeof value).toBe("boolean");
      else if (datatype === "BYTES") expect(value).toMatch(/^[0-9a-z]{8}$/);
      else expect(typeof value).toBe("number");
    }
  });

  it("keeps integers within their datatype's range and floats in [0, 1)", () => {
    const extremes = [() => 0, () => 0.999_999_999];
    for (const random of extremes) {
      expect(randomTensor({ name: "u", datatype: "UINT8", shape: [1] }, random).data[0]).toBeLessThanOrEqual(
        255,
      );
      expect(
        randomTensor({ name: "i", datatype: "INT8", shape: [1] }, random).data[0],
      ).toBeGreaterThanOrEqual(-128);
      expect(randomTensor({ name: "i", datatype: "INT8", shape: [1] }, random).data[0]).toBeLessThanOrEqual(
        127,
      );
      const int64 = randomTensor({ name: "l", datatype: "INT64", shape: [1] }, random).data[0] as number;
      expect(Number.isSafeInteger(int64)).toBe(true);
      const float = randomTensor({ name: "f", datatype: "FP32", shape: [1] }, random).data[0] as number;
      expect(float).toBeGreaterThanOrEqual(0);
      expect(float).toBeLessThanOrEqual(1);
    }
  });

  it("makes a body that the gateway's own OIP request parser accepts", () => {
    const body = oipRequestBody([parseOipInput("features:FP32:1x4"), parseOipInput("mask:BOOL:4")]);
    const parsed = parseInferRequest(JSON.parse(JSON.stringify(body)));
    expect(parsed.inputs.map((t) => [t.name, t.datatype, t.shape])).toEqual([
      ["features", "FP32", [1, 4]],
      ["mask", "BOOL", [4]],
    ]);
  });
});
