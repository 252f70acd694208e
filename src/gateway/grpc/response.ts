import { SluiceError } from "../../errors.js";
import {
  encodeTensorData,
  isRecord,
  type ModelMetadata,
  normaliseOutputs,
  type Parameters,
  type Tensor,
} from "../../graph/oip/index.js";
import {
  CONTENTS_FIELD,
  type InferTensor,
  type InferTensorContents,
  type ModelInferResponse,
  type ModelMetadataResponse,
} from "./messages.js";
import { toInferParameters } from "./parameters.js";

/**
 * A graph's answer to an infer request as a `ModelInferResponse`. The outputs are checked as
 * the model step checks them (a flow graph may change them after the model). With `raw`, each
 * output's data goes in `raw_output_contents` (what Triton sends, and all tritonclient reads);
 * otherwise in its typed contents, unless an output is FP16 or BF16, which have no typed field:
 * then every output goes raw, since the protocol allows raw contents only for all or none.
 */
export function toModelInferResponse(result: unknown, raw: boolean): ModelInferResponse {
  if (!isRecord(result) || !Array.isArray(result.outputs)) {
    throw new SluiceError(
      "SLUICE_ERR_STEP_FAILED",
      "the graph's answer is not an infer response {model_name, outputs: [...]}, which gRPC needs",
    );
  }
  const outputs = normaliseOutputs(result);
  const asRaw = raw || outputs.some((t) => CONTENTS_FIELD[t.datatype] === undefined);
  const { model_name: name, model_version: version, id, parameters } = result;
  const response: ModelInferResponse = {
    model_name: typeof name === "string" ? name : "",
    outputs: outputs.map((tensor) => outputOf(tensor, asRaw)),
  };
  if (typeof version === "string") response.model_version = version;
  if (typeof id === "string") response.id = id;
  if (isRecord(parameters)) response.parameters = toInferParameters(parameters as Parameters);
  if (asRaw) response.raw_output_contents = outputs.map(encodeTensorData);
  return response;
}

function outputOf(tensor: Tensor, raw: boolean): InferTensor {
  const output: InferTensor = { name: tensor.name, datatype: tensor.datatype, shape: tensor.shape };
  if (tensor.parameters) output.parameters = toInferParameters(tensor.parameters);
  if (!raw) output.contents = contentsOf(tensor);
  return output;
}

function contentsOf(tensor: Tensor): InferTensorContents {
  const field = CONTENTS_FIELD[tensor.datatype] as keyof InferTensorContents;
  const { data } = tensor;
  // protobufjs takes repeated fields as arrays only: a typed array (a raw input echoed) is read out.
  if (!Array.isArray(data)) return { [field]: Array.from(data) };
  return {
    [field]:
      field === "bytes_contents"
        ? data.map((e) => (Buffer.isBuffer(e) ? e : Buffer.from(String(e), "utf8")))
        : data,
  };
}

/** A model's metadata (its load state already added) as a `ModelMetadataResponse`. */
export function toModelMetadataResponse(metadata: ModelMetadata): ModelMetadataResponse {
  const response: ModelMetadataResponse = {
    name: metadata.name,
    platform: metadata.platform,
    inputs: metadata.inputs ?? [],
    outputs: metadata.outputs ?? [],
  };
  if (metadata.versions) response.versions = metadata.versions;
  if (metadata.properties) {
    // map<string, string>: a step's non-string value is sent as its JSON text.
    const properties: Record<string, string> = {};
    for (const [key, value] of Object.entries(metadata.properties)) {
      properties[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
    response.properties = properties;
  }
  return response;
}
