import { type ErrorCode, SluiceError } from "../../errors.js";
import { tensorArrayOf } from "./tensor-arrays.js";
import {
  DATATYPES,
  type Datatype,
  type InferRequest,
  isDatatype,
  type Parameters,
  type RequestOutput,
  type Tensor,
  type TensorData,
  type TensorElement,
} from "./types.js";

/**
 * Whose tensors are being checked. The same rules apply to a caller's inputs and to a model's
 * outputs, but a caller's mistake is a 400 while a model returning garbage is a 500.
 */
export interface TensorSide {
  code: ErrorCode;
  /** Names tensor `index` of its list before its name is known, e.g. `inputs[2]`. */
  unnamed(index: number): string;
  /** Names a tensor, e.g. `input "x"`. */
  named(name: string): string;
}

/** A tensor name in a message; a hostile 1 MB name is cut short. */
export function quoted(name: string): string {
  return name.length > 60 ? preview(name) : `"${name}"`;
}

/** The caller's inputs. */
export const CALLER_INPUTS: TensorSide = {
  code: "SLUICE_ERR_INPUT",
  unnamed: (index) => `inputs[${index}]`,
  named: (name) => `input ${quoted(name)}`,
};

/** Throws the SluiceError `code` with `message`; typed `never` so checks narrow. */
export function fail(code: ErrorCode, message: string): never {
  throw new SluiceError(code, message);
}

/** A plain JSON object: not null, not an array. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A short rendering of an offending value for an error message. */
export function preview(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "function" || typeof value === "symbol") return `a ${typeof value}`;
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch {
    text = Array.isArray(value) ? "an array" : "an object";
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A 64-bit integer as a tensor element: a number when exact, else its decimal string. */
export function bigintElement(value: bigint): number | string {
  return value >= MIN_SAFE && value <= MAX_SAFE ? Number(value) : value.toString();
}
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** The tensor's datatype, or a message listing the valid ones (and the likely one meant). */
export function parseDatatype(raw: unknown, subject: string, code: ErrorCode): Datatype {
  if (isDatatype(raw)) return raw;
  if (raw === undefined) fail(code, `${subject}: "datatype" is missing`);
  const guess =
    typeof raw === "string" && isDatatype(raw.toUpperCase()) ? ` (did you mean "${raw.toUpperCase()}"?)` : "";
  fail(code, `${subject}: unknown datatype ${preview(raw)}${guess}; expected one of ${DATATYPES.join(", ")}`);
}

/** A request's shape: every dimension known. (`-1` only appears in model metadata.) */
export function parseShape(raw: unknown, subject: string, code: ErrorCode): number[] {
  if (!Array.isArray(raw)) badShape(raw, subject, code, "");
  for (const dim of raw as unknown[]) {
    if (typeof dim === "number" && Number.isInteger(dim) && dim >= 0) continue;
    badShape(
      raw,
      subject,
      code,
      dim === -1 ? " (-1 marks a variable dimension in model metadata; send the size)" : "",
    );
  }
  return raw as number[];
}

/** Kept out of parseShape, which runs once per tensor on the hot path: no closure per call. */
function badShape(raw: unknown, subject: string, code: ErrorCode, note: string): never {
  fail(code, `${subject}: "shape" must be an array of non-negative integers, got ${preview(raw)}${note}`);
}

/** How many elements a shape holds: the product of its dimensions (1 for a scalar `[]`). */
export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dim of shape) count *= dim;
  return count;
}

/** `parameters`, which must be an object when present. */
export function parseParameters(raw: unknown, subject: string, code: ErrorCode): Parameters | undefined {
  if (raw === undefined || isRecord(raw)) return raw;
  fail(code, `${subject}: "parameters" must be an object, got ${preview(raw)}`);
}

/**
 * `data` as a flat array. Flat data (the common case) is returned as it is, without a copy.
 * Nested data is flattened at most `rank - 1` levels: nesting deeper than the shape cannot be
 * a row-major layout of it, and the bound keeps hostile nesting cheap. A typed array of the
 * datatype's own kind is kept as it is (its elements need no check); another typed array is
 * read into elements, which are then checked.
 */
function flatData(
  raw: unknown,
  datatype: Datatype,
  shape: readonly number[],
  subject: string,
  code: ErrorCode,
): TensorData {
  if (Array.isArray(raw)) {
    for (const element of raw as unknown[]) {
      if (!Array.isArray(element)) continue;
      const flat = (raw as unknown[]).flat(Math.max(shape.length - 1, 0));
      if (flat.some(Array.isArray)) {
        fail(code, `${subject}: "data" is nested deeper than shape ${JSON.stringify(shape)} allows`);
      }
      return flat as TensorElement[];
    }
    return raw as TensorElement[];
  }
  if (raw === undefined) fail(code, `${subject}: "data" is missing`);
  if (ArrayBuffer.isView(raw) && !(raw instanceof DataView)) {
    const typed = tensorArrayOf(raw, datatype);
    if (typed !== undefined) return typed;
    // A JS model may hand back a typed array; JSON.stringify would turn it into an object.
    return Array.from(raw as unknown as ArrayLike<unknown>, (v) =>
      typeof v === "bigint" ? bigintElement(v) : v,
    ) as TensorElement[];
  }
  fail(code, `${subject}: "data" must be an array (flat or nested), got ${preview(raw)}`);
}

const INT_RANGE: Partial<Record<Datatype, readonly [number, number]>> = {
  INT8: [-128, 127],
  UINT8: [0, 255],
  INT16: [-32768, 32767],
  UINT16: [0, 65535],
  INT32: [-2147483648, 2147483647],
  UINT32: [0, 4294967295],
};
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const DIGITS = /^-?\d{1,20}$/;

function is64BitInteger(value: unknown, signed: boolean): boolean {
  if (typeof value === "number") {
    // 2 ** 63 and 2 ** 64 are exact doubles, and the first values out of range.
    return (
      Number.isInteger(value) &&
      (signed ? value >= -(2 ** 63) && value < 2 ** 63 : value >= 0 && value < 2 ** 64)
    );
  }
  if (typeof value !== "string" || !DIGITS.test(value)) return false;
  const big = BigInt(value);
  return signed ? big >= INT64_MIN && big <= INT64_MAX : big >= 0n && big <= UINT64_MAX;
}

function badElement(
  data: unknown[],
  index: number,
  datatype: Datatype,
  subject: string,
  code: ErrorCode,
): never {
  const element = data[index];
  const range = INT_RANGE[datatype];
  const wanted =
    datatype === "BOOL"
      ? "true or false"
      : datatype === "BYTES"
        ? "a string"
        : range
          ? `an integer in [${range[0]}, ${range[1]}]`
          : datatype === "INT64"
            ? `an integer in [${INT64_MIN}, ${INT64_MAX}] (a number, or a string of digits to be exact beyond 2^53)`
            : datatype === "UINT64"
              ? `an integer in [0, ${UINT64_MAX}] (a number, or a string of digits to be exact beyond 2^53)`
              : "a number";
  fail(
    code,
    `${subject}: element ${index} of "data" must be ${wanted} for ${datatype}, got ${preview(element)}`,
  );
}

/** Checks every element against the datatype, one tight loop per kind of check. */
function checkElements(data: unknown[], datatype: Datatype, subject: string, code: ErrorCode): void {
  const range = INT_RANGE[datatype];
  let i = 0;
  if (range) {
    const [min, max] = range;
    for (; i < data.length; i++) {
      const v = data[i];
      if (!(typeof v === "number" && Number.isInteger(v) && v >= min && v <= max)) break;
    }
  } else if (datatype === "BOOL") {
    for (; i < data.length; i++) if (typeof data[i] !== "boolean") break;
  } else if (datatype === "BYTES") {
    for (; i < data.length; i++) if (typeof data[i] !== "string" && !Buffer.isBuffer(data[i])) break;
  } else if (datatype === "INT64" || datatype === "UINT64") {
    const signed = datatype === "INT64";
    for (; i < data.length; i++) if (!is64BitInteger(data[i], signed)) break;
  } else {
    for (; i < data.length; i++) if (typeof data[i] !== "number") break;
  }
  if (i < data.length) badElement(data, i, datatype, subject, code);
}

/** Validates one tensor (`{name, shape, datatype, parameters?, data}`) and flattens its data. */
export function parseTensor(raw: unknown, index: number, side: TensorSide): Tensor {
  const { code } = side;
  if (!isRecord(raw)) {
    fail(code, `${side.unnamed(index)} must be an object {name, shape, datatype, data}, got ${preview(raw)}`);
  }
  const { name } = raw;
  if (typeof name !== "string" || name === "") {
    fail(code, `${side.unnamed(index)}: "name" must be a non-empty string, got ${preview(name)}`);
  }
  const subject = side.named(name);
  const datatype = parseDatatype(raw.datatype, subject, code);
  const shape = parseShape(raw.shape, subject, code);
  const parameters = parseParameters(raw.parameters, subject, code);
  if (raw.data === undefined && parameters?.binary_data_size !== undefined) {
    fail(
      code,
      `${subject}: "parameters.binary_data_size" says its data is binary, but the body has no binary part (send the Inference-Header-Content-Length header)`,
    );
  }
  const data = flatData(raw.data, datatype, shape, subject, code);
  const count = elementCount(shape);
  if (data.length !== count) {
    fail(
      code,
      `${subject}: "data" has ${data.length} elements but shape ${JSON.stringify(shape)} needs ${count}`,
    );
  }
  if (Array.isArray(data)) checkElements(data, datatype, subject, code);
  return parameters === undefined
    ? { name, shape, datatype, data }
    : { name, shape, datatype, parameters, data };
}

function parseRequestOutputs(raw: unknown): RequestOutput[] | undefined {
  const code = "SLUICE_ERR_INPUT";
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) {
    fail(code, `"outputs" must be an array of {name, parameters?}, got ${preview(raw)}`);
  }
  const seen = new Set<string>();
  return (raw as unknown[]).map((entry, index) => {
    if (!isRecord(entry)) {
      fail(code, `outputs[${index}] must be an object {name, parameters?}, got ${preview(entry)}`);
    }
    const { name } = entry;
    if (typeof name !== "string" || name === "") {
      fail(code, `outputs[${index}]: "name" must be a non-empty string, got ${preview(name)}`);
    }
    if (seen.has(name)) fail(code, `output ${quoted(name)} is requested more than once in "outputs"`);
    seen.add(name);
    const parameters = parseParameters(entry.parameters, `output ${quoted(name)}`, code);
    return parameters === undefined ? { name } : { name, parameters };
  });
}

/**
 * Validates an infer request body (already parsed from JSON) and returns it normalised: tensor
 * data flat, only the protocol's fields kept. Every mistake a caller can make is a
 * `SLUICE_ERR_INPUT` (400) whose message names the input and the field.
 */
export function parseInferRequest(body: unknown): InferRequest {
  // Checked at the gateway's edge already (and not replaced since): one pass per request.
  if (body instanceof CheckedInferRequest) return body;
  const code = "SLUICE_ERR_INPUT";
  if (!isRecord(body)) {
    fail(code, `the request body must be a JSON object {inputs: [...]}, got ${preview(body)}`);
  }
  const { id, inputs } = body;
  if (id !== undefined && typeof id !== "string") fail(code, `"id" must be a string, got ${preview(id)}`);
  const parameters = parseParameters(body.parameters, "the request", code);
  if (!Array.isArray(inputs) || inputs.length === 0) {
    fail(
      code,
      `"inputs" must be a non-empty array of tensors {name, shape, datatype, data}, got ${preview(inputs)}`,
    );
  }
  // Most requests carry one input: no names to compare, no map.
  if (inputs.length === 1) return requestOf(id, parameters, [parseTensor(inputs[0], 0, CALLER_INPUTS)], body);
  const firstIndex = new Map<string, number>();
  const tensors = (inputs as unknown[]).map((raw, index) => {
    const tensor = parseTensor(raw, index, CALLER_INPUTS);
    const first = firstIndex.get(tensor.name);
    if (first !== undefined) {
      fail(
        code,
        `input ${quoted(tensor.name)} appears more than once in "inputs" (inputs[${first}] and inputs[${index}])`,
      );
    }
    firstIndex.set(tensor.name, index);
    return tensor;
  });
  return requestOf(id, parameters, tensors, body);
}

function requestOf(
  id: string | undefined,
  parameters: Parameters | undefined,
  inputs: Tensor[],
  body: Record<string, unknown>,
): InferRequest {
  const outputs = parseRequestOutputs(body.outputs);
  // Fields are added one by one rather than spread conditionally: V8 spreads are slow here.
  const request: InferRequest = new CheckedInferRequest();
  if (id !== undefined) request.id = id;
  if (parameters !== undefined) request.parameters = parameters;
  request.inputs = inputs;
  if (outputs !== undefined) request.outputs = outputs;
  return request;
}

/**
 * A request `parseInferRequest` built: handed to it again (the model step, after the gateway
 * checked the request at its edge), it is not checked a second time. A step that builds a new
 * request object, a spread copy included, gets it checked again. (A class, where a WeakSet of
 * checked requests cost an insertion a request and work for the garbage collector.)
 */
class CheckedInferRequest {
  declare id?: string;
  declare parameters?: Parameters;
  declare inputs: Tensor[];
  declare outputs?: RequestOutput[];
}
