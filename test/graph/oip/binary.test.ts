import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SluiceError } from "../../../src/errors.js";
import { smallFloatBits, smallFloatValue } from "../../../src/graph/oip/binary.js";
import {
  DATATYPES as ALL_DATATYPES,
  binaryOutputsFor,
  type Datatype,
  decodeBinaryRequest,
  decodeBinaryResponse,
  encodeBinaryRequest,
  encodeBinaryResponse,
  type InferRequest,
  inferResponse,
  parseInferRequest,
  type Tensor,
  type TensorElement,
} from "../../../src/graph/oip/index.js";
import { withElementArrays } from "../../helpers/tensors.js";

/** A 64-bit value as the data model holds it: a number when exact, else a decimal string. */
const exact = (value: bigint): number | string =>
  value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : String(value);

const half = (bits: number) => smallFloatValue(bits, 10, 5);
const bfloat = (bits: number) => smallFloatValue(bits, 7, 8);

/** Elements of each datatype; `jsonSafe` leaves out what JSON cannot carry (NaN, ±Infinity, -0). */
function elements(datatype: Datatype, jsonSafe: boolean): fc.Arbitrary<TensorElement> {
  const finite = <T extends number>(arb: fc.Arbitrary<T>) =>
    jsonSafe ? arb.filter((x) => Number.isFinite(x) && !Object.is(x, -0)) : arb;
  switch (datatype) {
    case "BOOL":
      return fc.boolean();
    case "UINT8":
      return fc.integer({ min: 0, max: 255 });
    case "INT8":
      return fc.integer({ min: -128, max: 127 });
    case "UINT16":
      return fc.integer({ min: 0, max: 65535 });
    case "INT16":
      return fc.integer({ min: -32768, max: 32767 });
    case "UINT32":
      return fc.integer({ min: 0, max: 4294967295 });
    case "INT32":
      return fc.integer({ min: -2147483648, max: 2147483647 });
    case "UINT64":
      return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(exact);
    case "INT64":
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(exact);
    case "FP16":
      return finite(fc.integer({ min: 0, max: 0xffff }).map(half));
    case "BF16":
      return finite(fc.integer({ min: 0, max: 0xffff }).map(bfloat));
    case "FP32":
      return finite(fc.float());
    case "FP64":
      return finite(fc.double());
    case "BYTES":
      return fc.string({ unit: "grapheme", maxLength: 8 });
  }
}

const DATATYPES: Datatype[] = [...ALL_DATATYPES];

function tensorOf(datatype: Datatype, name: fc.Arbitrary<string>, jsonSafe: boolean): fc.Arbitrary<Tensor> {
  return fc
    .tuple(name, fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }))
    .chain(([tensorName, shape]) => {
      const count = shape.reduce((product, dim) => product * dim, 1);
      return fc
        .array(elements(datatype, jsonSafe), { minLength: count, maxLength: count })
        .map((data): Tensor => ({ name: tensorName, shape, datatype, data }));
    });
}

/** One to three tensors of random datatypes, with distinct names. */
const tensors = (jsonSafe: boolean) =>
  fc
    .uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 3 })
    .chain((names) =>
      fc.tuple(
        ...names.map((name) =>
          fc.constantFrom(...DATATYPES).chain((datatype) => tensorOf(datatype, fc.constant(name), jsonSafe)),
        ),
      ),
    );

function failure(run: () => unknown): SluiceError {
  try {
    run();
  } catch (error) {
    if (error instanceof SluiceError) return error;
    throw error;
  }
  throw new Error("no error was thrown");
}

describe("binary tensor data: round trips", () => {
  it.each(DATATYPES)("a %s input sent as binary arrives with exactly the values sent", (datatype) => {
    fc.assert(
      fc.property(tensorOf(datatype, fc.constant("x"), false), fc.option(fc.string()), (tensor, id) => {
        const request: InferRequest = id === null ? { inputs: [tensor] } : { id, inputs: [tensor] };
        const { body, headerLength } = encodeBinaryRequest(request);
        expect(withElementArrays(decodeBinaryRequest(body, headerLength))).toEqual(request);
      }),
    );
  });

  it("a request mixing binary and JSON inputs arrives as sent", () => {
    fc.assert(
      fc.property(tensors(true), fc.infiniteStream(fc.boolean()), (inputs, binary) => {
        const chosen = new Set(inputs.filter(() => binary.next().value).map((t) => t.name));
        const { body, headerLength } = encodeBinaryRequest({ inputs }, chosen);
        expect(withElementArrays(decodeBinaryRequest(body, headerLength))).toEqual({ inputs });
      }),
    );
  });

  it("a response sent with binary outputs decodes to the response built", () => {
    fc.assert(
      fc.property(tensors(false), (outputs) => {
        const response = inferResponse("m", "1", "req", outputs);
        const { body, headerLength } = encodeBinaryResponse(response, "all");
        expect(withElementArrays(decodeBinaryResponse(body, headerLength))).toEqual(response);
      }),
    );
  });

  it("only the outputs asked for go binary; the others stay JSON in the header", () => {
    const response = inferResponse("m", undefined, undefined, [
      { name: "a", shape: [2], datatype: "FP32", data: [1, 2] },
      { name: "b", shape: [1], datatype: "BYTES", data: ["z"] },
    ]);
    const { body, headerLength } = encodeBinaryResponse(response, new Set(["a"]));
    expect(JSON.parse(body.toString("utf8", 0, headerLength))).toEqual({
      model_name: "m",
      outputs: [
        { name: "a", shape: [2], datatype: "FP32", parameters: { binary_data_size: 8 } },
        { name: "b", shape: [1], datatype: "BYTES", data: ["z"] },
      ],
    });
    const bytes = body.subarray(headerLength);
    expect([bytes.readFloatLE(0), bytes.readFloatLE(4)]).toEqual([1, 2]);
  });
});

describe("binary tensor data: the wire layout clients use", () => {
  it("reads a request laid out as tritonclient sends it", () => {
    const header = JSON.stringify({
      id: "t1",
      inputs: [
        { name: "INPUT0", shape: [1, 2], datatype: "INT32", parameters: { binary_data_size: 8 } },
        { name: "FLAGS", shape: [2], datatype: "BOOL", data: [true, false] },
        { name: "TEXT", shape: [2], datatype: "BYTES", parameters: { binary_data_size: 13 } },
      ],
      outputs: [{ name: "OUTPUT0", parameters: { binary_data: true } }],
    });
    const ints = Buffer.alloc(8);
    ints.writeInt32LE(-1, 0);
    ints.writeInt32LE(7, 4);
    const text = Buffer.concat([Buffer.from([5, 0, 0, 0]), Buffer.from("hello"), Buffer.from([0, 0, 0, 0])]);
    const body = Buffer.concat([Buffer.from(header), ints, text]);
    expect(withElementArrays(decodeBinaryRequest(body, Buffer.byteLength(header)))).toEqual({
      id: "t1",
      inputs: [
        { name: "INPUT0", shape: [1, 2], datatype: "INT32", data: [-1, 7] },
        { name: "FLAGS", shape: [2], datatype: "BOOL", data: [true, false] },
        { name: "TEXT", shape: [2], datatype: "BYTES", data: ["hello", ""] },
      ],
      outputs: [{ name: "OUTPUT0", parameters: { binary_data: true } }],
    });
  });

  it("a body that is all header is a plain JSON request", () => {
    const json = Buffer.from(
      JSON.stringify({ inputs: [{ name: "x", shape: [1], datatype: "FP64", data: [1.5] }] }),
    );
    expect(decodeBinaryRequest(json, json.length)).toEqual(parseInferRequest(JSON.parse(json.toString())));
  });

  it("FP16 and BF16 round to the nearest value, ties to even", () => {
    expect(smallFloatBits(1, 10, 5)).toBe(0x3c00);
    expect(smallFloatBits(-2, 10, 5)).toBe(0xc000);
    expect(smallFloatBits(1 / 3, 10, 5)).toBe(0x3555);
    expect(smallFloatBits(65504, 10, 5)).toBe(0x7bff);
    expect(smallFloatBits(65519, 10, 5)).toBe(0x7bff);
    expect(smallFloatBits(65520, 10, 5)).toBe(0x7c00);
    expect(smallFloatBits(2 ** -14, 10, 5)).toBe(0x0400);
    expect(smallFloatBits(2 ** -24, 10, 5)).toBe(0x0001);
    expect(smallFloatBits(2 ** -25, 10, 5)).toBe(0x0000);
    expect(smallFloatBits(3 * 2 ** -25, 10, 5)).toBe(0x0002);
    // Ties go to the even mantissa, odd or even below: 2049 → 2048, 2051 → 2052, 2053 → 2052.
    expect(smallFloatBits(2049, 10, 5)).toBe(0x6800);
    expect(smallFloatBits(2051, 10, 5)).toBe(0x6802);
    expect(smallFloatBits(2053, 10, 5)).toBe(0x6802);
    expect(smallFloatBits(5 * 2 ** -25, 10, 5)).toBe(0x0002);
    expect(smallFloatBits(Number.POSITIVE_INFINITY, 10, 5)).toBe(0x7c00);
    expect(smallFloatBits(Number.NEGATIVE_INFINITY, 10, 5)).toBe(0xfc00);
    expect(smallFloatBits(-0, 10, 5)).toBe(0x8000);
    expect(smallFloatBits(Number.NaN, 10, 5)).toBe(0x7e00);
    expect(smallFloatBits(1, 7, 8)).toBe(0x3f80);
    expect(smallFloatBits(Math.PI, 7, 8)).toBe(0x4049);
    expect(smallFloatBits(1e39, 7, 8)).toBe(0x7f80);
    expect(smallFloatBits(Number.NaN, 7, 8)).toBe(0x7fc0);
    // Just below 16, where Math.log2 answers 4: the value rounds up to 16.
    expect(smallFloatBits(16 - 2 ** -49, 10, 5)).toBe(0x4c00);
  });

  it("FP16 and BF16 infinities sent as binary arrive as infinities", () => {
    const header = JSON.stringify({
      inputs: [
        { name: "h", shape: [2], datatype: "FP16", parameters: { binary_data_size: 4 } },
        { name: "b", shape: [2], datatype: "BF16", parameters: { binary_data_size: 4 } },
      ],
    });
    const bits = Buffer.alloc(8);
    for (const [i, value] of [0x7c00, 0xfc00, 0x7f80, 0xff80].entries()) bits.writeUInt16LE(value, 2 * i);
    const { inputs } = decodeBinaryRequest(Buffer.concat([Buffer.from(header), bits]), header.length);
    expect(inputs.map((input) => input.data)).toEqual([
      [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
      [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
    ]);
  });

  it.each([
    ["FP16", 10, 5, 0x7bff],
    ["BF16", 7, 8, 0x7f7f],
  ] as const)(
    "%s encodes every positive finite number as its nearest value",
    (_type, mantissa, exponent, maxBits) => {
      const max = smallFloatValue(maxBits, mantissa, exponent);
      fc.assert(
        fc.property(fc.double({ min: 0, max, noNaN: true }), (x) => {
          const bits = smallFloatBits(x, mantissa, exponent);
          const error = Math.abs(smallFloatValue(bits, mantissa, exponent) - x);
          if (bits > 0)
            expect(error).toBeLessThanOrEqual(Math.abs(smallFloatValue(bits - 1, mantissa, exponent) - x));
          if (bits < maxBits)
            expect(error).toBeLessThanOrEqual(Math.abs(smallFloatValue(bits + 1, mantissa, exponent) - x));
        }),
      );
    },
  );

  it("FP16 encoding is the identity on every FP16 value", () => {
    for (let bits = 0; bits <= 0xffff; bits++) {
      if (!Number.isNaN(half(bits))) expect(smallFloatBits(half(bits), 10, 5)).toBe(bits);
    }
  });
});

describe("binary tensor data: which outputs the caller wants binary", () => {
  const base = { inputs: [] };
  it("plain JSON unless asked", () => {
    expect(binaryOutputsFor({ ...base, outputs: [{ name: "y" }] })).toBeUndefined();
  });
  it("binary_data_output: true without a list of outputs means all of them", () => {
    expect(binaryOutputsFor({ ...base, parameters: { binary_data_output: true } })).toBe("all");
  });
  it("an output's own binary_data wins over binary_data_output", () => {
    expect(
      binaryOutputsFor({
        ...base,
        outputs: [{ name: "a", parameters: { binary_data: true } }, { name: "b" }],
      }),
    ).toEqual(new Set(["a"]));
    expect(
      binaryOutputsFor({
        ...base,
        parameters: { binary_data_output: true },
        outputs: [{ name: "a", parameters: { binary_data: false } }, { name: "b" }],
      }),
    ).toEqual(new Set(["b"]));
  });
});

describe("binary tensor data: what a caller gets for a malformed body", () => {
  const fp32 = (size: unknown, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      inputs: [{ name: "x", shape: [2], datatype: "FP32", parameters: { binary_data_size: size }, ...extra }],
    });
  const withBytes = (header: string, bytes: number[] | Buffer) =>
    [Buffer.concat([Buffer.from(header), Buffer.from(bytes)]), Buffer.byteLength(header)] as const;
  const bytesInput = (size: number) =>
    JSON.stringify({
      inputs: [{ name: "s", shape: [2], datatype: "BYTES", parameters: { binary_data_size: size } }],
    });

  const cases: [string, readonly [Buffer, number], string][] = [
    [
      "a negative header length",
      [Buffer.from("{}"), -1],
      "Inference-Header-Content-Length must be a non-negative integer, got -1",
    ],
    [
      "a fractional header length",
      [Buffer.from("{}"), 1.5],
      "Inference-Header-Content-Length must be a non-negative integer, got 1.5",
    ],
    [
      "a header longer than the body",
      [Buffer.from("{}"), 3],
      "Inference-Header-Content-Length is 3 but the body has only 2 bytes",
    ],
    [
      "a header that is not JSON",
      withBytes("{inputs", []),
      "the JSON header (the first 7 bytes of the body) is not valid JSON:",
    ],
    [
      "a header cut inside the JSON",
      [Buffer.from('{"inputs":[]}'), 5],
      "the JSON header (the first 5 bytes of the body) is not valid JSON:",
    ],
    ["a header that is an array", withBytes("[]", []), "the JSON header must be an object, got []"],
    ["a header without inputs", withBytes("{}", []), '"inputs" must be a non-empty array of tensors'],
    [
      "a fractional binary_data_size",
      withBytes(fp32(7.5), []),
      'input "x": "parameters.binary_data_size" must be a non-negative integer, got 7.5',
    ],
    [
      "a string binary_data_size",
      withBytes(fp32("8"), []),
      'input "x": "parameters.binary_data_size" must be a non-negative integer, got "8"',
    ],
    [
      "both data and binary_data_size",
      withBytes(fp32(8, { data: [1, 2] }), Buffer.alloc(8)),
      'input "x" has both "data" and "parameters.binary_data_size"; send its data one way',
    ],
    [
      "a size the shape disagrees with",
      withBytes(fp32(4), Buffer.alloc(4)),
      'input "x": "parameters.binary_data_size" is 4 but 2 FP32 elements take 8 bytes',
    ],
    [
      "a size beyond the end of the body",
      withBytes(fp32(8), Buffer.alloc(6)),
      'input "x": "parameters.binary_data_size" is 8 but only 6 bytes of binary data are left',
    ],
    [
      "bytes nobody claims",
      withBytes(fp32(8), Buffer.alloc(9)),
      'the body has 1 bytes after the binary data that the tensors\' "binary_data_size" parameters account for',
    ],
    [
      "binary data for an unknown datatype",
      withBytes(fp32(8).replace("FP32", "FLOAT"), Buffer.alloc(8)),
      'input "x": unknown datatype "FLOAT"',
    ],
    [
      "binary data for a -1 dimension",
      withBytes(fp32(8).replace("[2]", "[-1]"), Buffer.alloc(8)),
      'input "x": "shape" must be an array of non-negative integers, got [-1]',
    ],
    [
      "a BYTES length prefix cut short",
      withBytes(bytesInput(6), [1, 0, 0, 0, 65, 2]),
      'input "s": BYTES element 1 is cut short in its length prefix',
    ],
    [
      "a BYTES element longer than its data",
      withBytes(bytesInput(6), [9, 0, 0, 0, 65, 66]),
      'input "s": BYTES element 0 says 9 bytes, but only 2 are left in its binary_data_size',
    ],
    [
      "a second BYTES element longer than what is left",
      withBytes(bytesInput(10), [1, 0, 0, 0, 65, 9, 0, 0, 0, 66]),
      'input "s": BYTES element 1 says 9 bytes, but only 1 are left in its binary_data_size',
    ],
    [
      "fewer BYTES elements than the shape",
      withBytes(bytesInput(5), [1, 0, 0, 0, 65]),
      'input "s": the binary data holds 1 BYTES elements but the shape needs 2',
    ],
  ];

  it.each(cases)("%s gets a 400 saying what is off", (_what, [body, headerLength], message) => {
    const error = failure(() => decodeBinaryRequest(body, headerLength));
    expect(error.code).toBe("SLUICE_ERR_INPUT");
    expect(error.status).toBe(400);
    expect(error.message).toContain(message);
  });

  it("a malformed binary response from a remote server is a 500, not the caller's fault", () => {
    const header = JSON.stringify({
      model_name: "m",
      outputs: [{ name: "y", shape: [1], datatype: "FP64", parameters: { binary_data_size: 8 } }],
    });
    const error = failure(() =>
      decodeBinaryResponse(Buffer.concat([Buffer.from(header), Buffer.alloc(4)]), header.length),
    );
    expect(error.code).toBe("SLUICE_ERR_STEP_FAILED");
    expect(error.message).toBe(
      `the model's output "y": "parameters.binary_data_size" is 8 but only 4 bytes of binary data are left`,
    );
    const noOutputs = failure(() => decodeBinaryResponse(Buffer.from('{"model_name":"m"}'), 18));
    expect(noOutputs.message).toBe('the response\'s "outputs" must be an array, got nothing');
  });
});
