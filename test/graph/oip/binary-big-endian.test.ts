// On a big-endian host (s390x) a typed array holds its elements in the host's order, not the
// wire's, so the binary extension reads and writes every element one by one instead. This
// file runs on a host that says it is big-endian: node:os is the only thing replaced.
import { describe, expect, it, vi } from "vitest";

vi.mock("node:os", async (original) => ({
  ...(await original<typeof import("node:os")>()),
  endianness: () => "BE",
}));

const { decodeBinaryRequest, encodeBinaryRequest } = await import("../../../src/graph/oip/index.js");

/** The little-endian bytes of `values`, written with `write` at `size` bytes each. */
function littleEndian<T>(values: T[], size: number, write: (b: Buffer, v: T, o: number) => unknown): Buffer {
  const bytes = Buffer.alloc(values.length * size);
  for (const [i, value] of values.entries()) write(bytes, value, i * size);
  return bytes;
}

const cases = [
  ["UINT8", [0, 255], littleEndian([0, 255], 1, (b, v, o) => b.writeUInt8(v, o))],
  ["INT8", [-128, 127], littleEndian([-128, 127], 1, (b, v, o) => b.writeInt8(v, o))],
  ["UINT16", [1, 65535], littleEndian([1, 65535], 2, (b, v, o) => b.writeUInt16LE(v, o))],
  ["INT16", [-3, 300], littleEndian([-3, 300], 2, (b, v, o) => b.writeInt16LE(v, o))],
  ["UINT32", [2, 2 ** 32 - 1], littleEndian([2, 2 ** 32 - 1], 4, (b, v, o) => b.writeUInt32LE(v, o))],
  ["INT32", [-7, 2 ** 31 - 1], littleEndian([-7, 2 ** 31 - 1], 4, (b, v, o) => b.writeInt32LE(v, o))],
  ["FP32", [1.5, -2], littleEndian([1.5, -2], 4, (b, v, o) => b.writeFloatLE(v, o))],
  ["FP64", [0.1, 1e300], littleEndian([0.1, 1e300], 8, (b, v, o) => b.writeDoubleLE(v, o))],
] as const;

describe("binary tensor data on a big-endian host", () => {
  it.each(cases)(
    "a %s tensor goes on the wire little-endian and is read back as sent",
    (datatype, values, wire) => {
      const request = { inputs: [{ name: "x", shape: [2], datatype, data: [...values] }] };
      const { body, headerLength } = encodeBinaryRequest(request);
      expect(body.subarray(headerLength)).toEqual(wire);
      const [x] = decodeBinaryRequest(body, headerLength).inputs;
      // Read element by element: an array of numbers, not a typed array on the body's bytes.
      expect(Array.isArray(x?.data)).toBe(true);
      expect(x?.data).toEqual(values);
    },
  );
});
