import { describe, expect, it } from "vitest";
import {
  checkDeclaredInputs,
  declaredInputsOf,
  type InferRequest,
  type TensorMetadata,
} from "../../../src/graph/oip/index.js";

const declared = [
  { name: "features", datatype: "FP32", shape: [-1, 4] },
  { name: "mask", datatype: "BOOL", shape: [1] },
] as TensorMetadata[];
const request = (...inputs: { name: string; datatype: string; shape: number[] }[]) =>
  ({ inputs: inputs.map((i) => ({ ...i, data: [] })) }) as unknown as InferRequest;
const features = { name: "features", datatype: "FP32", shape: [3, 4] };
const mask = { name: "mask", datatype: "BOOL", shape: [1] };

/** The 400 a request gets, or "ok". */
function verdict(req: InferRequest, inputs = declared): string {
  try {
    checkDeclaredInputs(req, inputs, "iris");
    return "ok";
  } catch (error) {
    expect(error).toMatchObject({ code: "SLUICE_ERR_INPUT", status: 400 });
    return (error as Error).message;
  }
}

describe("a model's declared inputs", () => {
  it("accept a request with each of them, in any order, -1 matching any size", () => {
    expect(verdict(request(mask, features))).toBe("ok");
    expect(verdict(request(features, { ...mask }))).toBe("ok");
    expect(verdict(request({ name: "anything", datatype: "BYTES", shape: [9] }), [])).toBe("ok");
  });

  it("refuse, quoting the caller, an unknown input, another datatype, another shape or rank, a missing input", () => {
    expect(verdict(request(features, mask, { name: "extra", datatype: "FP32", shape: [1] }))).toBe(
      'input "extra" is not an input of model "iris" (its inputs: "features", "mask")',
    );
    expect(verdict(request({ ...features, datatype: "FP64" }, mask))).toBe(
      'input "features": datatype FP64 does not match FP32',
    );
    expect(verdict(request({ ...features, shape: [3, 5] }, mask))).toBe(
      'input "features": shape [3,5] does not match [-1,4]',
    );
    expect(verdict(request({ ...features, shape: [12] }, mask))).toBe(
      'input "features": shape [12] does not match [-1,4]',
    );
    expect(verdict(request(mask, { ...features, shape: [3, 4, 1] }))).toBe(
      'input "features": shape [3,4,1] does not match [-1,4]',
    );
    expect(verdict(request(mask))).toBe('model "iris" needs input "features"');
    expect(
      verdict(request({ name: "a", datatype: "FP32", shape: [1] }), [
        { name: "a", datatype: "FP32", shape: [1] },
        { name: "b", datatype: "FP32", shape: [1] },
        { name: "c", datatype: "FP32", shape: [1] },
      ] as TensorMetadata[]),
    ).toBe('model "iris" needs inputs "b", "c"');
  });

  it("are read from metadata() only when it lists {name, datatype, integer shape}; else none are declared", () => {
    expect(declaredInputsOf(() => ({ inputs: declared }))).toEqual(declared);
    for (const inputs of [
      undefined,
      "features",
      [null],
      [{ name: 1, datatype: "FP32", shape: [1] }],
      [{ name: "a", datatype: 32, shape: [1] }],
      [{ name: "a", datatype: "FP32", shape: "1" }],
      [{ name: "a", datatype: "FP32", shape: [1.5] }],
      [{ name: "a", datatype: "FP32", shape: [1, 1.5] }],
      [{ name: "a", datatype: "FP32", shape: [1] }, "junk"],
    ]) {
      expect({ inputs, declared: declaredInputsOf(() => ({ inputs })) }).toEqual({ inputs, declared: [] });
    }
    expect(
      declaredInputsOf(() => {
        throw new Error("metadata broke");
      }),
    ).toEqual([]);
  });
});
