/**
 * The Open Inference Protocol's gRPC service (`inference.GRPCInferenceService`), served by
 * `sluice serve --grpc-port`. The gateway imports this folder only when that flag is given:
 * @grpc/grpc-js and the proto stay out of every other process.
 */
export { type GrpcAddress, GrpcPlane, type GrpcPlaneOptions } from "./grpc-plane.js";
export type {
  InferParameter,
  InferTensor,
  InferTensorContents,
  ModelInferRequest,
  ModelInferResponse,
  ModelMetadataResponse,
} from "./messages.js";
export { inferenceService, PROTO_FILE } from "./proto.js";
export { grpcStatusOf } from "./status.js";
