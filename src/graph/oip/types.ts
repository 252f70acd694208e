/**
 * The Open Inference Protocol (KServe V2) data model, as the REST spec
 * (specs/open_inference_rest.yaml) and its prose describe it. Field names are the wire names
 * (`model_name`, not `modelName`) so that these objects go on the wire as they are.
 */

/** Every tensor datatype the protocol defines, in the spec's order. */
export const DATATYPES = [
  "BOOL",
  "UINT8",
  "UINT16",
  "UINT32",
  "UINT64",
  "INT8",
  "INT16",
  "INT32",
  "INT64",
  "FP16",
  "FP32",
  "FP64",
  "BF16",
  "BYTES",
] as const;

export type Datatype = (typeof DATATYPES)[number];

/** Typed to take any value: a set of strings has no other. */
const datatypeSet: ReadonlySet<unknown> = new Set(DATATYPES);

/** True when `value` names one of the protocol's datatypes (case-sensitive, as the spec is). */
export function isDatatype(value: unknown): value is Datatype {
  return datatypeSet.has(value);
}

/**
 * One element of a tensor's flat data. BOOL: boolean; integer and FP types: number; BYTES:
 * string, or a Buffer when its bytes are not UTF-8 (an image, a protobuf), so that they
 * round-trip byte for byte. INT64 and UINT64 elements may also be decimal strings, which keep
 * values beyond 2^53 exact (JSON numbers cannot).
 */
export type TensorElement = boolean | number | string | Buffer;

/**
 * Tensor data as a typed array of its datatype's elements: how a tensor sent with the binary
 * extension arrives (a view on the request's bytes, not a copy), and what a model may return.
 * FP32 is a Float32Array, FP64 a Float64Array, INT8/16/32 and UINT8/16/32 the matching integer
 * arrays; the other datatypes (BOOL, INT64, UINT64, FP16, BF16, BYTES) stay element arrays.
 */
export type TensorArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array;

/** A tensor's flat data: elements, or a typed array of its datatype (see `TensorArray`). */
export type TensorData = TensorElement[] | TensorArray;

/**
 * Free-form parameters. The prose spec restricts values to string, number and boolean; we do
 * not enforce that, because clients (Triton's, MLServer's) put their own extensions here.
 */
export type Parameters = Record<string, unknown>;

/** A tensor as sluice holds it: `data` is always flat, in row-major order. */
export interface Tensor {
  name: string;
  shape: number[];
  datatype: Datatype;
  parameters?: Parameters;
  data: TensorData;
}

/** An output the caller asks for; without any, the model returns all its outputs. */
export interface RequestOutput {
  name: string;
  parameters?: Parameters;
}

/** `POST /v2/models/<m>[/versions/<v>]/infer` body, normalised by `parseInferRequest`. */
export interface InferRequest {
  id?: string;
  parameters?: Parameters;
  inputs: Tensor[];
  outputs?: RequestOutput[];
}

/** The answer to an infer request. `id` echoes the request's id when it had one. */
export interface InferResponse {
  model_name: string;
  model_version?: string;
  id?: string;
  parameters?: Parameters;
  outputs: Tensor[];
}

/** A tensor's description in model metadata; `-1` in `shape` marks a variable dimension. */
export interface TensorMetadata {
  name: string;
  datatype: Datatype;
  shape: number[];
}

/** `GET /v2/models/<m>[/versions/<v>]`. */
export interface ModelMetadata {
  name: string;
  versions?: string[];
  platform: string;
  inputs?: TensorMetadata[];
  outputs?: TensorMetadata[];
  properties?: Record<string, string>;
}

/** `GET /v2`. */
export interface ServerMetadata {
  name: string;
  version: string;
  extensions: string[];
}

/** Every error body of the protocol. */
export interface ErrorBody {
  error: string;
}
