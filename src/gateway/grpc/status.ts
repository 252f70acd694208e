import { Metadata, type StatusObject, status } from "@grpc/grpc-js";
import { isSluiceError } from "../../errors.js";
import { statusOf } from "../http/respond.js";

/**
 * The gRPC status of each HTTP status sluice answers with, so that a failure reads the same
 * on both transports: the inverse of the table in google.rpc.Code (400 INVALID_ARGUMENT, 404
 * NOT_FOUND, 503 UNAVAILABLE, 504 DEADLINE_EXCEEDED...), plus 502 (a remote step's target
 * failed) as UNAVAILABLE, as gRPC's own HTTP-to-gRPC mapping has it. Anything else is INTERNAL.
 */
const GRPC_STATUS: ReadonlyMap<number, status> = new Map([
  [400, status.INVALID_ARGUMENT],
  [401, status.UNAUTHENTICATED],
  [403, status.PERMISSION_DENIED],
  [404, status.NOT_FOUND],
  [408, status.DEADLINE_EXCEEDED],
  [409, status.ABORTED],
  [413, status.RESOURCE_EXHAUSTED],
  [415, status.INVALID_ARGUMENT],
  [429, status.RESOURCE_EXHAUSTED],
  [499, status.CANCELLED],
  [501, status.UNIMPLEMENTED],
  [502, status.UNAVAILABLE],
  [503, status.UNAVAILABLE],
  [504, status.DEADLINE_EXCEEDED],
]);

/** The gRPC status code for an HTTP status. */
export function grpcStatusOf(httpStatus: number): status {
  return GRPC_STATUS.get(httpStatus) ?? status.INTERNAL;
}

/**
 * A failure as a gRPC error: the code from its HTTP status, its message as the details, and
 * in the trailers the request id (to find it in the log) and, for an UNAVAILABLE that waiting
 * may cure, `retry-after` in seconds as HTTP sends it.
 */
export function grpcError(error: unknown, requestId: string): StatusObject {
  const httpStatus = statusOf(error);
  const code = grpcStatusOf(httpStatus);
  const metadata = new Metadata();
  metadata.set("x-request-id", requestId);
  if ((httpStatus === 503 || httpStatus === 429) && !(isSluiceError(error) && error.permanent)) {
    metadata.set("retry-after", String((isSluiceError(error) ? error.retryAfter : undefined) ?? 1));
  }
  const details = error instanceof Error ? error.message : String(error);
  return { code, details, metadata };
}
