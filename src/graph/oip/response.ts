import { bigintElement, fail, isRecord, parseTensor, preview, quoted, type TensorSide } from "./request.js";
import { tensorArrayOf } from "./tensor-arrays.js";
import type {
  Datatype,
  ErrorBody,
  InferResponse,
  Parameters,
  RequestOutput,
  Tensor,
  TensorElement,
} from "./types.js";

/** A model's outputs: when they are wrong the server failed, so the error is a 500. */
export const MODEL_OUTPUTS: TensorSide = {
  code: "SLUICE_ERR_STEP_FAILED",
  unnamed: (index) => `the model's output #${index}`,
  named: (name) => `the model's output ${quoted(name)}`,
};

const EXPECTED =
  "predict must return OIP tensors [{name, shape, datatype, data}], one such tensor, or an array of numbers";

/**
 * Builds an infer response. Absent optional fields are left out, not set to undefined, and `id`
 * echoes the request's id as the protocol asks.
 */
export function inferResponse(
  modelName: string,
  version: string | undefined,
  requestId: string | undefined,
  outputs: Tensor[],
  parameters?: Parameters,
): InferResponse {
  // Built field by field, in the spec's order: conditional spreads are slow on the hot path.
  const response = { model_name: modelName } as InferResponse;
  if (version !== undefined) response.model_version = version;
  if (requestId !== undefined) response.id = requestId;
  if (parameters !== undefined) response.parameters = parameters;
  response.outputs = outputs;
  return response;
}

/** The protocol's error body for any thrown value. */
export function errorBody(error: unknown): ErrorBody {
  return { error: error instanceof Error ? error.message : String(error) };
}

/**
 * Turns what a model's `predict` returned into validated output tensors with flat data, then
 * keeps the outputs the caller `requested` (in the requested order; none requested: all).
 *
 * Accepted: an array of tensors; one tensor; an object with `outputs` (a whole V2 response);
 * a plain array of numbers, booleans or strings, nested or not (one tensor `output-0`, FP64 or
 * INT64 for numbers, BOOL, BYTES); a typed array (one tensor of its datatype).
 * A model returning anything else is `SLUICE_ERR_STEP_FAILED`; asking for an output the model
 * does not produce is the caller's mistake, `SLUICE_ERR_INPUT`.
 */
export function normaliseOutputs(value: unknown, requested?: readonly RequestOutput[]): Tensor[] {
  return selectOutputs(toTensors(value), requested);
}

/** The outputs the caller `requested`, in its order (none requested: all of them). */
export function selectOutputs(tensors: Tensor[], requested: readonly RequestOutput[] | undefined): Tensor[] {
  return requested === undefined || requested.length === 0 ? tensors : select(tensors, requested);
}

function toTensors(value: unknown): Tensor[] {
  if (Array.isArray(value)) {
    return value.length > 0 && value.every(isRecord) ? checked(value) : [fromPlainArray(value)];
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return [fromTypedArray(value)];
  if (isRecord(value)) {
    if (Array.isArray(value.outputs)) return checked(value.outputs);
    if ("data" in value || "datatype" in value) return checked([value]);
  }
  fail(MODEL_OUTPUTS.code, `the model returned ${preview(value)}; ${EXPECTED}`);
}

function checked(list: unknown[]): Tensor[] {
  if (list.length === 1) return [parseTensor(list[0], 0, MODEL_OUTPUTS)];
  const seen = new Set<string>();
  return list.map((raw, index) => {
    const tensor = parseTensor(raw, index, MODEL_OUTPUTS);
    if (seen.has(tensor.name)) {
      fail(MODEL_OUTPUTS.code, `the model returned output ${quoted(tensor.name)} twice`);
    }
    seen.add(tensor.name);
    return tensor;
  });
}

function isRectangular(value: unknown, shape: readonly number[], depth: number): boolean {
  if (depth === shape.length) return !Array.isArray(value);
  return (
    Array.isArray(value) &&
    value.length === shape[depth] &&
    value.every((item) => isRectangular(item, shape, depth + 1))
  );
}

/** `[[0.1, 0.9], [0.8, 0.2]]` → tensor `output-0`, shape [2, 2], FP64. */
function fromPlainArray(value: unknown[]): Tensor {
  const shape: number[] = [];
  for (let level: unknown = value; Array.isArray(level); level = level[0]) shape.push(level.length);
  if (!isRectangular(value, shape, 0)) {
    fail(MODEL_OUTPUTS.code, `the model returned a ragged array (rows of different lengths); ${EXPECTED}`);
  }
  const data = value.flat(shape.length - 1) as unknown[];
  return { name: "output-0", shape, datatype: inferDatatype(data), data: data as TensorElement[] };
}

function inferDatatype(data: unknown[]): Datatype {
  if (data.length === 0) return "FP64";
  const kind = typeof data[0];
  if (!data.every((item) => typeof item === kind)) {
    fail(MODEL_OUTPUTS.code, `the model returned an array mixing ${kind}s and other values; ${EXPECTED}`);
  }
  if (kind === "number") return data.every(Number.isSafeInteger) ? "INT64" : "FP64";
  if (kind === "boolean") return "BOOL";
  if (kind === "string") return "BYTES";
  fail(MODEL_OUTPUTS.code, `the model returned an array of ${preview(data[0])}...; ${EXPECTED}`);
}

const TYPED_ARRAY_DATATYPES: ReadonlyArray<readonly [abstract new (...args: never[]) => unknown, Datatype]> =
  [
    [Float32Array, "FP32"],
    [Float64Array, "FP64"],
    [Int8Array, "INT8"],
    [Int16Array, "INT16"],
    [Int32Array, "INT32"],
    [BigInt64Array, "INT64"],
    [Uint8Array, "UINT8"],
    [Uint8ClampedArray, "UINT8"],
    [Uint16Array, "UINT16"],
    [Uint32Array, "UINT32"],
    [BigUint64Array, "UINT64"],
  ];

function fromTypedArray(value: ArrayBufferView): Tensor {
  const entry = TYPED_ARRAY_DATATYPES.find(([type]) => value instanceof type);
  if (!entry) {
    fail(MODEL_OUTPUTS.code, `the model returned an unsupported ${value.constructor.name}; ${EXPECTED}`);
  }
  const datatype = entry[1];
  // Kept as it is when the datatype has a typed array (see tensor-arrays.ts); 64-bit integers
  // become numbers, or strings beyond 2^53.
  const data =
    tensorArrayOf(value, datatype) ??
    Array.from(value as unknown as ArrayLike<number | bigint>, (v) =>
      typeof v === "bigint" ? bigintElement(v) : v,
    );
  return { name: "output-0", shape: [data.length], datatype, data };
}

function select(tensors: Tensor[], requested: readonly RequestOutput[]): Tensor[] {
  const byName = new Map(tensors.map((tensor) => [tensor.name, tensor]));
  return requested.map(({ name }) => {
    const tensor = byName.get(name);
    if (tensor) return tensor;
    const known = tensors.map((t) => quoted(t.name)).join(", ") || "none";
    return fail(
      "SLUICE_ERR_INPUT",
      `output ${quoted(name)} was requested, but the model produces only: ${known}`,
    );
  });
}

/**
 * A response as JSON can carry it: a BYTES output holding bytes that are not UTF-8 (Buffers)
 * has every element sent as base64, and says so with `parameters.content_type: "base64"`.
 * Anything else is returned as it is, without a copy (the JSON hot path pays one loop over
 * the outputs' datatypes).
 */
export function jsonSafeBytes(result: unknown): unknown {
  const outputs = (result as { outputs?: unknown } | null | undefined)?.outputs;
  if (!Array.isArray(outputs)) return result;
  let changed: unknown[] | undefined;
  for (let i = 0; i < outputs.length; i++) {
    const tensor = outputs[i] as Partial<Tensor> | undefined;
    if (tensor?.datatype !== "BYTES" || !Array.isArray(tensor.data) || !tensor.data.some(Buffer.isBuffer)) {
      continue;
    }
    changed ??= [...outputs];
    const data = tensor.data.map((e) => (Buffer.isBuffer(e) ? e : Buffer.from(String(e))).toString("base64"));
    changed[i] = { ...tensor, parameters: { ...tensor.parameters, content_type: "base64" }, data };
  }
  return changed ? { ...(result as object), outputs: changed } : result;
}
