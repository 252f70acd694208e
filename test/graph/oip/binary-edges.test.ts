import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import {
  binaryOutputsFor,
  decodeBinaryRequest,
  decodeBinaryResponse,
  type InferRequest,
} from "../../../src/graph/oip/index.js";
import { withElementArrays } from "../../helpers/tensors.js";

/** A binary-extension body: this JSON header, then these bytes. */
function body(header: unknown, ...parts: Buffer[]): { raw: Buffer; length: number } {
  const json = Buffer.from(JSON.stringify(header));
  return { raw: Buffer.concat([json, ...parts]), length: json.length };
}

/** `parts` in a body of its own memory (Buffer.alloc is never pooled): it starts at offset 0. */
function laidOut(...parts: Buffer[]): Buffer {
  const raw = Buffer.alloc(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) offset += part.copy(raw, offset);
  return raw;
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
    expect(withElementArrays(decodeBinaryRequest(raw, length).inputs)).toEqual([
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
    expect(withElementArrays(decodeBinaryResponse(ok.raw, ok.length))).toEqual({
      model_name: "m",
      id: "r-1",
      outputs: [{ name: "y", shape: [1], datatype: "FP32", data: [0.5] }],
    });
    const nameless = body({ outputs }, fp32(0.5));
    expect(message(() => decodeBinaryResponse(nameless.raw, nameless.length))).toBe(
      'the response\'s "model_name" must be a string, got nothing',
    );
  });

  it("hands FP32, FP64 and the 8 to 32-bit integers to the model as typed arrays on the body's own bytes", () => {
    const cases = [
      ["FP32", Float32Array, [1.5, -2]],
      ["FP64", Float64Array, [0.1, 1e300]],
      ["INT8", Int8Array, [-128, 127]],
      ["INT16", Int16Array, [-3, 300]],
      ["INT32", Int32Array, [-7, 2 ** 31 - 1]],
      ["UINT8", Uint8Array, [0, 255]],
      ["UINT16", Uint16Array, [1, 65535]],
      ["UINT32", Uint32Array, [2, 2 ** 32 - 1]],
    ] as const;
    for (const [datatype, Typed, values] of cases) {
      const bytes = Buffer.from(new Typed(values as unknown as number[]).buffer);
      const header = JSON.stringify({
        inputs: [{ name: "x", shape: [2], datatype, parameters: { binary_data_size: bytes.length } }],
      });
      // Spaces after the JSON put the tensor at a multiple of 8 in the body.
      const json = Buffer.from(header.padEnd(Math.ceil(header.length / 8) * 8, " "));
      const raw = laidOut(json, bytes);
      const { data } = decodeBinaryRequest(raw, json.length).inputs[0] as { data: unknown };
      expect(data).toBeInstanceOf(Typed);
      expect(Array.from(data as ArrayLike<number>)).toEqual(values);
      expect((data as Float32Array).buffer).toBe(raw.buffer); // a view, not a copy
      // Written as JSON, it is the array of its elements.
      expect(JSON.parse(JSON.stringify({ data }))).toEqual({ data: values });
    }
  });

  it("decodes a tensor that sits at an odd offset in the body (copied once, values intact)", () => {
    for (const pad of [1, 2, 3, 5, 6, 7]) {
      const values = [1.25, -3.5, 2 ** -20, 65504];
      const header = JSON.stringify({
        inputs: [{ name: "x", shape: [4], datatype: "FP32", parameters: { binary_data_size: 16 } }],
      });
      const json = Buffer.from(header + " ".repeat(pad));
      // The body starts 8-aligned in its memory, so the tensor is off by `json.length % 4`.
      const raw = laidOut(json, fp32(...values));
      const { data } = decodeBinaryRequest(raw, json.length).inputs[0] as { data: Float32Array };
      expect(data).toBeInstanceOf(Float32Array);
      expect(Array.from(data)).toEqual(values);
      const f64 = Buffer.alloc(8);
      f64.writeDoubleLE(Math.PI);
      const header64 = JSON.stringify({
        inputs: [{ name: "y", shape: [1], datatype: "FP64", parameters: { binary_data_size: 8 } }],
      });
      const odd = laidOut(Buffer.from(header64 + " ".repeat(pad)), f64);
      const [y] = decodeBinaryRequest(odd, odd.length - 8).inputs;
      expect(Array.from(y?.data as Float64Array)).toEqual([Math.PI]);
    }
  });

  it("keeps the other datatypes as elements: BOOL as booleans, INT64 as numbers or strings", () => {
    const int64 = Buffer.alloc(16);
    int64.writeBigInt64LE(-5n, 0);
    int64.writeBigInt64LE(2n ** 62n, 8);
    const { raw, length } = body(
      {
        inputs: [
          { name: "b", shape: [2], datatype: "BOOL", parameters: { binary_data_size: 2 } },
          { name: "i", shape: [2], datatype: "INT64", parameters: { binary_data_size: 16 } },
        ],
      },
      Buffer.from([1, 0]),
      int64,
    );
    const [b, i] = decodeBinaryRequest(raw, length).inputs;
    expect(b?.data).toEqual([true, false]);
    expect(i?.data).toEqual([-5, "4611686018427387904"]);
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

describe("typed arrays handed to a model", () => {
  it("show in a model's log as the typed array they are", () => {
    const { raw, length } = body(
      { inputs: [{ name: "x", shape: [2], datatype: "FP32", parameters: { binary_data_size: 8 } }] },
      fp32(1.5, -2),
    );
    const [x] = decodeBinaryRequest(raw, length).inputs;
    expect(inspect(x?.data)).toBe("Float32Array(2) [ 1.5, -2 ]");
  });
});
