import { SluiceError } from "../errors.js";
import { GraphInvalidError, type Problem } from "../graph/index.js";
import type { GraphFormat, GraphSummary } from "./admin/index.js";

/** What the primary asks a worker over IPC. */
export type WorkerRequest =
  | { type: "put"; id: number; text: string; format: GraphFormat }
  | { type: "list"; id: number }
  | { type: "describe"; id: number; name: string }
  | { type: "draw"; id: number; name: string }
  | { type: "metrics-json"; id: number }
  | { type: "shutdown" }
  /** The answer to `hello`: the graphs posted since the cluster started, which a worker starts with. */
  | { type: "posted"; graphs: PostedGraph[] };

/** A document posted to the admin plane, as the primary keeps it for workers started later. */
export interface PostedGraph {
  name: string;
  text: string;
  format: GraphFormat;
}

/** What a worker answers (or announces). */
export type WorkerMessage =
  /** A new worker asks for the posted graphs (a message sent before it listens would be lost). */
  | { type: "hello" }
  | { type: "ready"; port: number; address: string; grpc?: { port: number; address: string } | undefined }
  | { type: "reply"; id: number; ok: true; value: unknown }
  | { type: "reply"; id: number; ok: false; error: SerializedError };

export interface SerializedError {
  message: string;
  code?: string;
  status?: number;
  problems?: Problem[];
}

export type { GraphSummary };

/** Errors cross the process boundary as plain data and become the same kind of error again. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof GraphInvalidError) return { message: error.message, problems: error.problems };
  if (error instanceof SluiceError) return { message: error.message, code: error.code, status: error.status };
  return { message: error instanceof Error ? error.message : String(error) };
}

export function deserializeError(error: SerializedError): Error {
  if (error.problems) return new GraphInvalidError(error.problems);
  if (error.code) {
    return new SluiceError(
      error.code as never,
      error.message,
      error.status === undefined ? {} : { status: error.status },
    );
  }
  return new Error(error.message);
}
