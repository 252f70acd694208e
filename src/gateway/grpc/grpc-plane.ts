import { format } from "node:util";
import { type ChannelOptions, Server, ServerCredentials, setLogger } from "@grpc/grpc-js";
import { SluiceError } from "../../errors.js";
import type { Logger } from "../../graph/index.js";
import { GraphCaller } from "../graph-call.js";
import type { GatewayMetrics } from "../metrics/index.js";
import type { GraphRegistry } from "../registry.js";
import { inferenceService } from "./proto.js";
import { inferenceHandlers } from "./service.js";

export interface GrpcPlaneOptions {
  /** Largest request message accepted, in bytes (RESOURCE_EXHAUSTED beyond), as --body-limit. */
  bodyLimit: number;
  /** Default per-call deadline, for calls that set none. */
  timeoutMs: number;
  /** The longest a call's own deadline may hold a graph (--max-timeout). */
  maxTimeoutMs: number;
  logger: Logger;
  metrics?: GatewayMetrics | undefined;
  /** Reported by ServerMetadata. */
  version: string;
  /** Readiness beyond the graphs' own (the stream triggers'). */
  ready?: () => boolean;
}

/** The bound address, as `node:net` reports one. */
export interface GrpcAddress {
  address: string;
  port: number;
}

/**
 * The Open Inference Protocol over gRPC (`inference.GRPCInferenceService`) beside the HTTP
 * data plane: the same registry, the same graph path, the same deadlines and metrics.
 * Lifecycle as the data plane's: `drain()` refuses new calls and waits for those in flight,
 * `forceClose()` cancels them.
 */
export class GrpcPlane {
  private constructor(
    readonly server: Server,
    readonly address: GrpcAddress,
  ) {}

  /** Starts serving on `host:port` (0: any free port); rejects when the port cannot be bound. */
  static async start(
    registry: GraphRegistry,
    options: GrpcPlaneOptions,
    port: number,
    host: string,
  ): Promise<GrpcPlane> {
    const channel: ChannelOptions = {
      "grpc.max_receive_message_length": options.bodyLimit,
    };
    // grpc-js writes its own errors to the console; they belong in the gateway's JSON log (a
    // failed bind, say, which start() also reports as one line of its own).
    const { logger } = options;
    setLogger({
      error: (...args: unknown[]) => logger.warn({ source: "grpc-js" }, format(...args)),
      info: (...args: unknown[]) => logger.info({ source: "grpc-js" }, format(...args)),
      debug: (...args: unknown[]) => logger.debug({ source: "grpc-js" }, format(...args)),
    });
    const server = new Server(channel);
    // `draining` only tells HTTP answers to say `Connection: close`; GOAWAY does that here.
    const caller = new GraphCaller(registry, { ...options, draining: () => false });
    server.addService(inferenceService(), inferenceHandlers({ ...options, registry, caller }));
    const target = `${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${port}`;
    const bound = await new Promise<number>((resolve, reject) =>
      server.bindAsync(target, ServerCredentials.createInsecure(), (error, actual) => {
        if (error) {
          const why = /EADDRINUSE/.test(error.message) ? `port ${port} on ${host} is in use` : error.message;
          reject(new SluiceError("SLUICE_ERR_INTERNAL", `cannot listen for gRPC: ${why}`, { cause: error }));
        } else resolve(actual);
      }),
    );
    return new GrpcPlane(server, { address: host, port: bound });
  }

  /** Takes no new calls (clients get GOAWAY) and resolves once the calls in flight are answered. */
  drain(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }

  /** Cancels every call and drops every connection now (the second signal). */
  forceClose(): void {
    this.server.forceShutdown();
  }
}
