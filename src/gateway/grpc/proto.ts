import { fileURLToPath } from "node:url";
import type { ServiceDefinition } from "@grpc/grpc-js";
import { loadSync, type Options } from "@grpc/proto-loader";

/** The service's definition, shipped in the package's proto/ folder (from src/ and dist/ alike). */
export const PROTO_FILE = fileURLToPath(new URL("../../../proto/open_inference_grpc.proto", import.meta.url));

/**
 * How messages reach the handlers (see messages.ts): proto field names, 64-bit integers as
 * exact decimal strings, and no defaults filled in, so that a field the sender did not set is
 * absent rather than an empty array allocated for every request.
 */
const OPTIONS: Options = { keepCase: true, longs: String, enums: String, defaults: false, oneofs: true };

/**
 * `inference.GRPCInferenceService`, read from the proto when the gRPC plane starts (about
 * 20 ms, paid only by `sluice serve --grpc-port`), for servers and clients alike.
 */
export function inferenceService(): ServiceDefinition {
  const definition = loadSync(PROTO_FILE, OPTIONS);
  return definition["inference.GRPCInferenceService"] as ServiceDefinition;
}
