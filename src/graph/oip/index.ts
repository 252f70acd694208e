/**
 * The Open Inference Protocol (KServe V2) data model as pure functions: request validation,
 * response building, the binary tensor extension and ensemble votes. No HTTP here: the
 * gateway and the model steps use these.
 */

export { batchKey, concatRequests, rowsOf, splitOutputs } from "./batch.js";
export {
  type BinaryBody,
  type BinaryParts,
  type BytesOrigin,
  binaryOutputsFor,
  binaryResponseParts,
  decodeBinaryRequest,
  decodeBinaryResponse,
  decodeTensorData,
  encodeBinaryRequest,
  encodeBinaryResponse,
  encodeTensorData,
  INFERENCE_HEADER_CONTENT_LENGTH,
} from "./binary.js";
export { checkDeclaredInputs, declaredInputsOf } from "./declared.js";
export {
  CALLER_INPUTS,
  elementCount,
  isRecord,
  parseDatatype,
  parseInferRequest,
  parseShape,
  quoted,
} from "./request.js";
export { errorBody, inferResponse, jsonSafeBytes, normaliseOutputs, selectOutputs } from "./response.js";
export {
  DATATYPES,
  type Datatype,
  type ErrorBody,
  type InferRequest,
  type InferResponse,
  isDatatype,
  type ModelMetadata,
  type Parameters,
  type RequestOutput,
  type ServerMetadata,
  type Tensor,
  type TensorArray,
  type TensorData,
  type TensorElement,
  type TensorMetadata,
} from "./types.js";
export { voteClassification, voteRegression } from "./vote.js";
