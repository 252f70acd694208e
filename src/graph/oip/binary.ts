/**
 * The binary tensor data extension (Triton, KServe): a body is a JSON header of
 * `Inference-Header-Content-Length` bytes, followed by the raw bytes of every tensor whose
 * `parameters.binary_data_size` is set, in the order the tensors are listed. Elements are
 * little-endian; BOOL is one byte; BYTES elements are a 4-byte little-endian length then the
 * bytes (decoded here as strings when they are UTF-8, else as Buffers: never changed).
 */
import { isUtf8 } from "node:buffer";
import { SluiceError } from "../../errors.js";
import {
  bigintElement,
  CALLER_INPUTS,
  elementCount,
  fail,
  isRecord,
  parseDatatype,
  parseInferRequest,
  parseShape,
  preview,
  type TensorSide,
} from "./request.js";
import { inferResponse, MODEL_OUTPUTS, normaliseOutputs } from "./response.js";
import { bytesOfData, viewOfBytes } from "./tensor-arrays.js";
import type { Datatype, InferRequest, InferResponse, Tensor, TensorData, TensorElement } from "./types.js";

/** The HTTP header that carries the JSON header's length (lower case, as node:http gives it). */
export const INFERENCE_HEADER_CONTENT_LENGTH = "inference-header-content-length";

/** A binary body and the length of its JSON header, for `Inference-Header-Content-Length`. */
export interface BinaryBody {
  body: Buffer;
  headerLength: number;
}

type FixedDatatype = Exclude<Datatype, "BYTES">;

/** Encodes a double as a small IEEE float (FP16: 10, 5; BF16: 7, 8), rounding half to even. */
export function smallFloatBits(value: number, mantissaBits: number, exponentBits: number): number {
  const bias = 2 ** (exponentBits - 1) - 1;
  const maxExponent = 2 ** exponentBits - 1;
  const sign = value < 0 || Object.is(value, -0) ? 2 ** (mantissaBits + exponentBits) : 0;
  if (Number.isNaN(value)) return maxExponent * 2 ** mantissaBits + 2 ** (mantissaBits - 1);
  const magnitude = Math.abs(value);
  if (magnitude < 2 ** (1 - bias)) {
    // Subnormal; rounding up to 2 ** mantissaBits lands exactly on the smallest normal's bits.
    return sign + roundHalfEven(magnitude * 2 ** (bias - 1 + mantissaBits));
  }
  let exponent = Math.floor(Math.log2(magnitude));
  // log2 can be off by one near powers of two; the scaling below must be exact.
  if (2 ** exponent > magnitude) exponent--;
  else if (2 ** (exponent + 1) <= magnitude) exponent++;
  // A mantissa rounded up to 2 ** mantissaBits carries into the exponent in the sum below, up
  // to infinity's bits at the top. Infinity itself has an infinite exponent: too big as well.
  const mantissa = roundHalfEven((magnitude / 2 ** exponent - 1) * 2 ** mantissaBits);
  if (exponent > bias) return sign + maxExponent * 2 ** mantissaBits;
  return sign + (exponent + bias) * 2 ** mantissaBits + mantissa;
}

/** Decodes the bits of a small IEEE float (see `smallFloatBits`). */
export function smallFloatValue(bits: number, mantissaBits: number, exponentBits: number): number {
  const bias = 2 ** (exponentBits - 1) - 1;
  const mantissa = bits % 2 ** mantissaBits;
  const exponent = Math.floor(bits / 2 ** mantissaBits) % 2 ** exponentBits;
  const sign = bits >= 2 ** (mantissaBits + exponentBits) ? -1 : 1;
  if (exponent === 2 ** exponentBits - 1) {
    return mantissa === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  }
  if (exponent === 0) return sign * mantissa * 2 ** (1 - bias - mantissaBits);
  return sign * (1 + mantissa / 2 ** mantissaBits) * 2 ** (exponent - bias);
}

function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const rest = x - floor;
  if (rest > 0.5) return floor + 1;
  if (rest < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

interface Codec {
  size: number;
  write(buffer: Buffer, value: TensorElement, offset: number): void;
  read(buffer: Buffer, offset: number): TensorElement;
}

const CODECS: Record<FixedDatatype, Codec> = {
  BOOL: { size: 1, write: (b, v, o) => b.writeUInt8(v ? 1 : 0, o), read: (b, o) => b[o] !== 0 },
  UINT8: { size: 1, write: (b, v, o) => b.writeUInt8(Number(v), o), read: (b, o) => b.readUInt8(o) },
  INT8: { size: 1, write: (b, v, o) => b.writeInt8(Number(v), o), read: (b, o) => b.readInt8(o) },
  UINT16: { size: 2, write: (b, v, o) => b.writeUInt16LE(Number(v), o), read: (b, o) => b.readUInt16LE(o) },
  INT16: { size: 2, write: (b, v, o) => b.writeInt16LE(Number(v), o), read: (b, o) => b.readInt16LE(o) },
  UINT32: { size: 4, write: (b, v, o) => b.writeUInt32LE(Number(v), o), read: (b, o) => b.readUInt32LE(o) },
  INT32: { size: 4, write: (b, v, o) => b.writeInt32LE(Number(v), o), read: (b, o) => b.readInt32LE(o) },
  UINT64: {
    size: 8,
    write: (b, v, o) => b.writeBigUInt64LE(BigInt(v as number | string), o),
    read: (b, o) => bigintElement(b.readBigUInt64LE(o)),
  },
  INT64: {
    size: 8,
    write: (b, v, o) => b.writeBigInt64LE(BigInt(v as number | string), o),
    read: (b, o) => bigintElement(b.readBigInt64LE(o)),
  },
  FP16: {
    size: 2,
    write: (b, v, o) => b.writeUInt16LE(smallFloatBits(Number(v), 10, 5), o),
    read: (b, o) => smallFloatValue(b.readUInt16LE(o), 10, 5),
  },
  BF16: {
    size: 2,
    write: (b, v, o) => b.writeUInt16LE(smallFloatBits(Number(v), 7, 8), o),
    read: (b, o) => smallFloatValue(b.readUInt16LE(o), 7, 8),
  },
  FP32: { size: 4, write: (b, v, o) => b.writeFloatLE(Number(v), o), read: (b, o) => b.readFloatLE(o) },
  FP64: { size: 8, write: (b, v, o) => b.writeDoubleLE(Number(v), o), read: (b, o) => b.readDoubleLE(o) },
};

/**
 * The bytes of a (valid) tensor's data in the extension's layout. A typed array's are its own
 * memory, not a copy: they must be sent before the tensor is changed.
 */
export function encodeTensorData(tensor: Tensor): Buffer {
  const { data } = tensor;
  const bytes = bytesOfData(data, tensor.datatype);
  if (bytes !== undefined) return bytes;
  if (tensor.datatype === "BYTES") {
    const parts = (data as TensorElement[]).map((element) =>
      Buffer.isBuffer(element) ? element : Buffer.from(String(element)),
    );
    const out = Buffer.allocUnsafe(parts.reduce((total, part) => total + 4 + part.length, 0));
    let offset = 0;
    for (const part of parts) {
      out.writeUInt32LE(part.length, offset);
      offset += 4 + part.copy(out, offset + 4);
    }
    return out;
  }
  const { size, write } = CODECS[tensor.datatype];
  const out = Buffer.allocUnsafe(data.length * size);
  for (let i = 0; i < data.length; i++) write(out, data[i] as TensorElement, i * size);
  return out;
}

/** Where a tensor's bytes came from, as its error messages name it. */
export interface BytesOrigin {
  /** E.g. `"parameters.binary_data_size" is 12`. */
  sizeIs(bytes: number): string;
  /** E.g. `its binary_data_size`. */
  within: string;
}

/** The binary extension's: each tensor's bytes are `parameters.binary_data_size` long. */
const BINARY_PART: BytesOrigin = {
  sizeIs: (bytes) => `"parameters.binary_data_size" is ${bytes}`,
  within: "its binary_data_size",
};

/**
 * Reads `count` elements of `datatype` that must fill `bytes` exactly. FP32, FP64 and the 8 to
 * 32-bit integers come as a typed array on `bytes` itself (see tensor-arrays.ts), the other
 * datatypes as elements.
 */
export function decodeTensorData(
  bytes: Buffer,
  datatype: Datatype,
  count: number,
  subject: string,
  side: TensorSide,
  origin: BytesOrigin = BINARY_PART,
): TensorData {
  const data: TensorElement[] = [];
  if (datatype === "BYTES") {
    let offset = 0;
    while (offset < bytes.length) {
      if (offset + 4 > bytes.length) {
        fail(side.code, `${subject}: BYTES element ${data.length} is cut short in its length prefix`);
      }
      const length = bytes.readUInt32LE(offset);
      if (offset + 4 + length > bytes.length) {
        fail(
          side.code,
          `${subject}: BYTES element ${data.length} says ${length} bytes, but only ${bytes.length - offset - 4} are left in ${origin.within}`,
        );
      }
      const element = bytes.subarray(offset + 4, offset + 4 + length);
      // UTF-8 text stays the string models expect; anything else is kept as its bytes (a
      // copy, so the element does not pin the whole request body).
      data.push(isUtf8(element) ? element.toString("utf8") : Buffer.from(element));
      offset += 4 + length;
    }
    if (data.length !== count) {
      fail(
        side.code,
        `${subject}: the binary data holds ${data.length} BYTES elements but the shape needs ${count}`,
      );
    }
    return data;
  }
  const { size, read } = CODECS[datatype];
  if (bytes.length !== count * size) {
    fail(
      side.code,
      `${subject}: ${origin.sizeIs(bytes.length)} but ${count} ${datatype} elements take ${count * size} bytes`,
    );
  }
  const view = viewOfBytes(bytes, datatype);
  if (view !== undefined) return view;
  for (let offset = 0; offset < bytes.length; offset += size) data.push(read(bytes, offset));
  return data;
}

function readHeader(body: Buffer, headerLength: number, side: TensorSide): Record<string, unknown> {
  if (!Number.isInteger(headerLength) || headerLength < 0) {
    fail(
      side.code,
      `Inference-Header-Content-Length must be a non-negative integer, got ${preview(headerLength)}`,
    );
  }
  if (headerLength > body.length) {
    fail(
      side.code,
      `Inference-Header-Content-Length is ${headerLength} but the body has only ${body.length} bytes`,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(body.toString("utf8", 0, headerLength));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SluiceError(
      side.code,
      `the JSON header (the first ${headerLength} bytes of the body) is not valid JSON: ${reason}`,
      { cause: error },
    );
  }
  if (!isRecord(header)) fail(side.code, `the JSON header must be an object, got ${preview(header)}`);
  return header;
}

/** Fills `data` of the tensors in `list` that point at binary data, and checks every byte is used. */
function attachBinaryData(list: unknown, body: Buffer, headerLength: number, side: TensorSide): unknown {
  if (!Array.isArray(list)) return list; // the JSON validation names that mistake
  let offset = headerLength;
  const tensors = (list as unknown[]).map((raw, index) => {
    if (!isRecord(raw) || !isRecord(raw.parameters) || raw.parameters.binary_data_size === undefined) {
      return raw;
    }
    const { binary_data_size: size, ...parameters } = raw.parameters;
    const subject =
      typeof raw.name === "string" && raw.name !== "" ? side.named(raw.name) : side.unnamed(index);
    if (typeof size !== "number" || !Number.isInteger(size) || size < 0) {
      fail(
        side.code,
        `${subject}: "parameters.binary_data_size" must be a non-negative integer, got ${preview(size)}`,
      );
    }
    if (raw.data !== undefined) {
      fail(side.code, `${subject} has both "data" and "parameters.binary_data_size"; send its data one way`);
    }
    const datatype = parseDatatype(raw.datatype, subject, side.code);
    const count = elementCount(parseShape(raw.shape, subject, side.code));
    if (offset + size > body.length) {
      fail(
        side.code,
        `${subject}: "parameters.binary_data_size" is ${size} but only ${body.length - offset} bytes of binary data are left`,
      );
    }
    const data = decodeTensorData(body.subarray(offset, offset + size), datatype, count, subject, side);
    offset += size;
    // binary_data_size describes the transport, not the tensor: drop it from the decoded tensor.
    const { parameters: _transport, ...tensor } = raw;
    // Set on the rest copy, not spread into another one: see graph/copy.ts.
    return Object.keys(parameters).length === 0
      ? Object.assign(tensor, { data })
      : Object.assign(tensor, { parameters, data });
  });
  if (offset !== body.length) {
    fail(
      side.code,
      `the body has ${body.length - offset} bytes after the binary data that the tensors' "binary_data_size" parameters account for`,
    );
  }
  return tensors;
}

/**
 * Decodes an infer request sent with the binary extension and validates it like
 * `parseInferRequest`. Malformed bodies are `SLUICE_ERR_INPUT` with a message saying what is off.
 */
export function decodeBinaryRequest(body: Buffer, headerLength: number): InferRequest {
  const header = readHeader(body, headerLength, CALLER_INPUTS);
  return parseInferRequest({
    ...header,
    inputs: attachBinaryData(header.inputs, body, headerLength, CALLER_INPUTS),
  });
}

/**
 * A binary body as the parts it is written in, never joined: the JSON header first, then the
 * bytes of each binary tensor (a typed array's own memory). The gateway writes them one after
 * the other on the socket, so a 1 MiB tensor is not copied to answer it.
 */
export interface BinaryParts {
  parts: Buffer[];
  /** The JSON header's length: `Inference-Header-Content-Length`. */
  headerLength: number;
  /** All the parts' bytes: `Content-Length`. */
  length: number;
}

function encodeBinary(
  header: Record<string, unknown>,
  tensors: readonly Tensor[],
  binary: ReadonlySet<string> | "all",
  key: "inputs" | "outputs",
): BinaryParts {
  const parts: Buffer[] = [empty];
  let length = 0;
  const listed = tensors.map((tensor) => {
    if (binary !== "all" && !binary.has(tensor.name)) return tensor;
    const bytes = encodeTensorData(tensor);
    parts.push(bytes);
    length += bytes.length;
    const { data: _inBinary, ...rest } = tensor;
    return { ...rest, parameters: { ...tensor.parameters, binary_data_size: bytes.length } };
  });
  header[key] = listed;
  const json = Buffer.from(JSON.stringify(header));
  parts[0] = json;
  return { parts, headerLength: json.length, length: length + json.length };
}

const empty = Buffer.alloc(0);

function joined({ parts, headerLength, length }: BinaryParts): BinaryBody {
  return { body: Buffer.concat(parts, length), headerLength };
}

/**
 * An infer response with the binary extension, as the parts to write: the outputs named in
 * `binaryOutputs` (or all) go as raw bytes after the JSON header. Send `headerLength` as
 * `Inference-Header-Content-Length` and the parts, in order, as `application/octet-stream`.
 */
export function binaryResponseParts(
  response: InferResponse,
  binaryOutputs: ReadonlySet<string> | "all",
): BinaryParts {
  return encodeBinary({ ...response }, response.outputs, binaryOutputs, "outputs");
}

/** `binaryResponseParts` as one body (for clients and tests; the gateway writes the parts). */
export function encodeBinaryResponse(
  response: InferResponse,
  binaryOutputs: ReadonlySet<string> | "all",
): BinaryBody {
  return joined(binaryResponseParts(response, binaryOutputs));
}

/** Encodes an infer request with the binary extension (for clients: `sluice bench`, tests). */
export function encodeBinaryRequest(
  request: InferRequest,
  binaryInputs: ReadonlySet<string> | "all" = "all",
): BinaryBody {
  return joined(encodeBinary({ ...request }, request.inputs, binaryInputs, "inputs"));
}

/**
 * Decodes a binary-extension infer response (from a remote V2 server). A malformed one is the
 * server's failure: `SLUICE_ERR_STEP_FAILED`.
 */
export function decodeBinaryResponse(body: Buffer, headerLength: number): InferResponse {
  const header = readHeader(body, headerLength, MODEL_OUTPUTS);
  if (!Array.isArray(header.outputs)) {
    fail(MODEL_OUTPUTS.code, `the response's "outputs" must be an array, got ${preview(header.outputs)}`);
  }
  const outputs = normaliseOutputs({
    outputs: attachBinaryData(header.outputs, body, headerLength, MODEL_OUTPUTS),
  });
  const { model_name: name, model_version: version, id, parameters } = header;
  const optionalString = (value: unknown) => (typeof value === "string" ? value : undefined);
  if (typeof name !== "string") {
    fail(MODEL_OUTPUTS.code, `the response's "model_name" must be a string, got ${preview(name)}`);
  }
  return inferResponse(
    name,
    optionalString(version),
    optionalString(id),
    outputs,
    isRecord(parameters) ? parameters : undefined,
  );
}

/**
 * Which outputs the caller wants as binary data, as Triton decides it: an output's
 * `parameters.binary_data` wins; otherwise the request's `parameters.binary_data_output`.
 * `undefined` when the response should be plain JSON.
 */
export function binaryOutputsFor(request: InferRequest): Set<string> | "all" | undefined {
  const all = request.parameters?.binary_data_output === true;
  if (!request.outputs || request.outputs.length === 0) return all ? "all" : undefined;
  const names = new Set<string>();
  for (const output of request.outputs) {
    const own = output.parameters?.binary_data;
    if (own === true || (all && own !== false)) names.add(output.name);
  }
  return names.size === 0 ? undefined : names;
}
