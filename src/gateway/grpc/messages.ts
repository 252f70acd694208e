import type { Datatype } from "../../graph/oip/index.js";

/**
 * The messages of `inference.GRPCInferenceService` (proto/open_inference_grpc.proto) as
 * @grpc/proto-loader hands them over with the options in proto.ts: field names as in the
 * proto (snake_case), 64-bit integers as decimal strings (exact beyond 2^53), bytes as
 * Buffers, and a field absent when the sender left it at its default (proto3 sends no
 * defaults). The RPCs without fields (ServerLive, ServerReady, ServerMetadata requests) take
 * an empty object.
 */

/** One parameter value: exactly one of the fields is set (the proto's `parameter_choice`). */
export interface InferParameter {
  bool_param?: boolean;
  int64_param?: string | number;
  string_param?: string;
  double_param?: number;
  uint64_param?: string | number;
}

export type InferParameters = Record<string, InferParameter>;

/** A tensor's data in the repeated field of its datatype (the proto's "typed contents"). */
export interface InferTensorContents {
  bool_contents?: boolean[];
  int_contents?: number[];
  int64_contents?: (string | number)[];
  uint_contents?: number[];
  uint64_contents?: (string | number)[];
  fp32_contents?: number[];
  fp64_contents?: number[];
  bytes_contents?: Buffer[];
}

/** An input or output tensor (`InferInputTensor`, `InferOutputTensor`). */
export interface InferTensor {
  name?: string;
  datatype?: string;
  shape?: (string | number)[];
  parameters?: InferParameters;
  contents?: InferTensorContents;
}

export interface ModelInferRequest {
  model_name?: string;
  model_version?: string;
  id?: string;
  parameters?: InferParameters;
  inputs?: InferTensor[];
  outputs?: { name?: string; parameters?: InferParameters }[];
  raw_input_contents?: Buffer[];
}

export interface ModelInferResponse {
  model_name: string;
  model_version?: string;
  id?: string;
  parameters?: InferParameters;
  outputs: InferTensor[];
  raw_output_contents?: Buffer[];
}

/** `ModelReadyRequest` and `ModelMetadataRequest`. */
export interface ModelRequest {
  name?: string;
  version?: string;
}

export interface ModelMetadataResponse {
  name: string;
  versions?: string[];
  platform: string;
  inputs?: { name: string; datatype: string; shape: number[] }[];
  outputs?: { name: string; datatype: string; shape: number[] }[];
  properties?: Record<string, string>;
}

export interface ServerMetadataResponse {
  name: string;
  version: string;
  extensions: string[];
}

/**
 * The typed-contents field of each datatype. The proto has none for FP16 and BF16: those
 * travel as raw contents only.
 */
export const CONTENTS_FIELD: Readonly<Record<Datatype, keyof InferTensorContents | undefined>> = {
  BOOL: "bool_contents",
  UINT8: "uint_contents",
  UINT16: "uint_contents",
  UINT32: "uint_contents",
  UINT64: "uint64_contents",
  INT8: "int_contents",
  INT16: "int_contents",
  INT32: "int_contents",
  INT64: "int64_contents",
  FP16: undefined,
  FP32: "fp32_contents",
  FP64: "fp64_contents",
  BF16: undefined,
  BYTES: "bytes_contents",
};
