import {
  type Client,
  credentials,
  Metadata,
  makeGenericClientConstructor,
  type ServiceError,
} from "@grpc/grpc-js";
import { onTestFinished } from "vitest";
import { inferenceService } from "../../src/gateway/grpc/index.js";

export interface CallOptions {
  /** Milliseconds from now. */
  deadlineMs?: number;
  metadata?: Record<string, string>;
}

/** What a call gave: its response, or its error (status code, details and trailers). */
export type Outcome<T> = { ok: true; response: T } | { ok: false; error: ServiceError };

/** A client of `inference.GRPCInferenceService` (@grpc/grpc-js), closed after the test. */
export interface OipGrpcClient {
  call<T = Record<string, unknown>>(
    method: string,
    request: object,
    options?: CallOptions,
  ): Promise<Outcome<T>>;
  /** The response, or a thrown error naming the status. */
  ok<T = Record<string, unknown>>(method: string, request: object, options?: CallOptions): Promise<T>;
  /** The error of a call that must fail. */
  fails(method: string, request: object, options?: CallOptions): Promise<ServiceError>;
  client: Client;
}

type Unary<T> = (
  request: object,
  metadata: Metadata,
  options: object,
  callback: (error: ServiceError | null, response: T) => void,
) => void;

const Constructor = makeGenericClientConstructor(inferenceService(), "GRPCInferenceService");

export function oipGrpcClient(address: string): OipGrpcClient {
  const client = new Constructor(address, credentials.createInsecure());
  onTestFinished(() => client.close());
  const call = <T>(method: string, request: object, options: CallOptions = {}) =>
    new Promise<Outcome<T>>((resolve) => {
      const metadata = new Metadata();
      for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
      const callOptions =
        options.deadlineMs === undefined ? {} : { deadline: Date.now() + options.deadlineMs };
      const unary = (client as unknown as Record<string, Unary<T>>)[method] as Unary<T>;
      unary.call(client, request, metadata, callOptions, (error, response) =>
        resolve(error ? { ok: false, error } : { ok: true, response }),
      );
    });
  return {
    client,
    call,
    async ok<T>(method: string, request: object, options?: CallOptions) {
      const outcome = await call<T>(method, request, options);
      if (!outcome.ok) throw new Error(`${method} failed: ${outcome.error.code} ${outcome.error.details}`);
      return outcome.response;
    },
    async fails(method: string, request: object, options?: CallOptions) {
      const outcome = await call(method, request, options);
      if (outcome.ok) throw new Error(`${method} succeeded: ${JSON.stringify(outcome.response)}`);
      return outcome.error;
    },
  };
}
