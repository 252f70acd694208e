import { describe, expect, it } from "vitest";
import {
  binaryOutputsFor,
  decodeBinaryRequest,
  decodeBinaryResponse,
  type InferRequest,
} from "../../../src/graph/oip/index.js";

/** A binary-extension body: this JSON header, then these bytes. */
function body(header: unknown, ...parts: Buffer[]): { raw: Buffer; length: number } {
  const json = Buffer.from(JSON.stringify(header));
  return { raw: Buffer.concat([json, ...parts]), length: json.length };
}

const fp32 = (...values: number[]) => {
  const b = Buffer.alloc(4 * values.length);
  for (const [i, v] of values.entries()) b.writeFloatLE(v, i * 4);
  return b;
};

/** The message of the error `fn` throws. */
function message(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  return "no error";
}

describe("binary tensor data, at its edges", () => {
  it("keeps a tensor's own parameters and reads JSON data beside binary data", () => {
    const { raw, length } = body(
      {
        inputs: [
          { name: "a", shape: [1], datatype: "FP32", parameters: { binary_data_size: 4, content_type: "x" } },
          { name: "b", shape: [1], datatype: "FP32", parameters: { note: "inline" }, data: [2] },
        ],
      },
      fp32(1.5),
    );
    expect(decodeBinaryRequest(raw, length).inputs).toEqual([
      { name: "a", shape: [1], datatype: "FP32", parameters: { content_type: "x" }, data: [1.5] },
      { name: "b", shape: [1], datatype: "FP32", parameters: { note: "inline" }, data: [2] },
    ]);
  });

  it("names the tensor by its place when it has no name, and refuses a negative size", () => {
    for (const name of [undefined, "", 5]) {
      const { raw, length } = body({
        inputs: [{ name, shape: [1], datatype: "FP32", parameters: { binary_data_size: -4 } }],
      });
      expect(message(() => decodeBinaryRequest(raw, length))).toBe(
        'inputs[0]: "parameters.binary_data_size" must be a non-negative integer, got -4',
      );
    }
  });

  it("says how many bytes are left when a BYTES element claims more", () => {
    const element = Buffer.alloc(7);
    element.writeUInt32LE(10, 0);
    const { raw, length } = body(
      { inputs: [{ name: "s", shape: [1], datatype: "BYTES", parameters: { binary_data_size: 7 } }] },
      element,
    );
    expect(message(() => decodeBinaryRequest(raw, length))).toBe(
      'input "s": BYTES element 0 says 10 bytes, but only 3 are left in its binary_data_size',
    );
  });

  it("reads a header length of 0 as an empty header (not JSON), keeping the parser's error as the cause", () => {
    const { raw } = body({ inputs: [] });
    let error: unknown;
    try {
      decodeBinaryRequest(raw, 0);
    } catch (caught) {
      error = caught;
    }
    expect((error as Error).message).toMatch(
      /^the JSON header \(the first 0 bytes of the body\) is not valid JSON: /,
    );
    expect((error as Error).cause).toBeInstanceOf(SyntaxError);
  });

  it("decodes a server's response: its model name required, a version only when it is a string", () => {
    const outputs = [{ name: "y", shape: [1], datatype: "FP32", parameters: { binary_data_size: 4 } }];
    const ok = body({ model_name: "m", model_version: 5, id: "r-1", outputs }, fp32(0.5));
    expect(decodeBinaryResponse(ok.raw, ok.length)).toEqual({
      model_name: "m",
      id: "r-1",
      outputs: [{ name: "y", shape: [1], datatype: "FP32", data: [0.5] }],
    });
    const nameless = body({ outputs }, fp32(0.5));
    expect(message(() => decodeBinaryResponse(nameless.raw, nameless.length))).toBe(
      'the response\'s "model_name" must be a string, got nothing',
    );
  });

  it("sends every output binary when asked for all, with an empty list of outputs too", () => {
    const request = {
      inputs: [],
      outputs: [],
      parameters: { binary_data_output: true },
    } as unknown as InferRequest;
    expect(binaryOutputsFor(request)).toBe("all");
  });
});
