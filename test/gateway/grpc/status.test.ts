import { status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { SluiceError } from "../../../src/errors.js";
import { grpcError, grpcStatusOf } from "../../../src/gateway/grpc/status.js";

describe("HTTP statuses as gRPC codes", () => {
  it.each([
    [400, status.INVALID_ARGUMENT],
    [404, status.NOT_FOUND],
    [408, status.DEADLINE_EXCEEDED],
    [413, status.RESOURCE_EXHAUSTED],
    [415, status.INVALID_ARGUMENT],
    [429, status.RESOURCE_EXHAUSTED],
    [501, status.UNIMPLEMENTED],
    [502, status.UNAVAILABLE],
    [503, status.UNAVAILABLE],
    [504, status.DEADLINE_EXCEEDED],
    [500, status.INTERNAL],
    [418, status.INTERNAL],
  ])("HTTP %i is gRPC code %i", (http, grpc) => {
    expect(grpcStatusOf(http)).toBe(grpc);
  });

  it("a failure keeps its message as the details and its request id in the trailers", () => {
    const error = grpcError(new SluiceError("SLUICE_ERR_INPUT", 'input "x": bad'), "req-1");
    expect([error.code, error.details]).toEqual([status.INVALID_ARGUMENT, 'input "x": bad']);
    expect(error.metadata.get("x-request-id")).toEqual(["req-1"]);
    expect(error.metadata.get("retry-after")).toEqual([]);
  });

  it("an UNAVAILABLE that waiting may cure says when to retry; one that it cannot does not", () => {
    const open = new SluiceError("SLUICE_ERR_CIRCUIT_OPEN", "breaker open", { retryAfter: 7 });
    expect(grpcError(open, "r").metadata.get("retry-after")).toEqual(["7"]);
    const loading = new SluiceError("SLUICE_ERR_MODEL_NOT_READY", "still loading");
    expect(grpcError(loading, "r").metadata.get("retry-after")).toEqual(["1"]);
    const failed = new SluiceError("SLUICE_ERR_MODEL_NOT_READY", "failed", { permanent: true });
    expect(grpcError(failed, "r").metadata.get("retry-after")).toEqual([]);
  });

  it("anything thrown that is not a SluiceError is INTERNAL with its message", () => {
    const error = grpcError(new TypeError("x is not a function"), "r");
    expect([error.code, error.details]).toEqual([status.INTERNAL, "x is not a function"]);
  });
});
