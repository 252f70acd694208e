import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { CompiledGraph, Logger } from "../graph/index.js";
import { type GraphControl, lazyAdmin, localControl, startAdmin } from "./admin/index.js";
import { DataPlane, type DataPlaneOptions } from "./data-plane.js";
import type { GrpcPlane } from "./grpc/index.js";
import { GatewayMetrics } from "./metrics/index.js";
import { GraphRegistry } from "./registry.js";
import { StreamHost } from "./streams.js";

export interface GatewayOptions extends Omit<DataPlaneOptions, "metrics"> {
  port: number;
  host: string;
  /** The admin plane's port; `false` for none (workers leave it to the primary). */
  adminPort: number | false;
  adminHost: string;
  adminToken?: string;
  /** Compiles a graph sent to the admin plane (YAML or JSON text). */
  compile: (text: string, format: "yaml" | "json") => Promise<CompiledGraph>;
  metrics?: GatewayMetrics;
  /** How long a graph posted to the admin plane may take to load and start (default 60 s). */
  startTimeoutMs?: number;
  /** The producers of broker-backed queue steps; closed last, after every event finished. */
  queueWriters?: { close(): Promise<void> };
  /** Serve the OIP model repository extension on the data plane (changes need the admin token). */
  modelRepository?: boolean;
  /** The OIP gRPC service's port, on `host`; none when undefined (its code is not even loaded). */
  grpcPort?: number | undefined;
  /** The model monitoring streams: flushed after the last request, within the grace. */
  monitoring?: { close(deadline: number): Promise<void> };
  /** How long a graceful stop may take (the monitoring flush ends before it); default 10 s. */
  graceMs?: number;
}

/** What a lifecycle state a gateway is in; `drain()` and `close()` move it along. */
export type GatewayState = "running" | "draining" | "stopped";

/**
 * A running gateway: the data plane, the admin plane and the graphs they serve. Graphs are
 * started (and their models loading) before the data plane listens.
 */
export class Gateway {
  #state: GatewayState = "running";

  private constructor(
    readonly registry: GraphRegistry,
    readonly dataPlane: DataPlane,
    readonly admin: Server | undefined,
    readonly metrics: GatewayMetrics,
    readonly address: AddressInfo,
    readonly adminAddress: AddressInfo | undefined,
    readonly logger: Logger,
    /** How documents posted to the admin plane are compiled (workers reuse it). */
    readonly compile: GatewayOptions["compile"],
    readonly streams: StreamHost,
    readonly queueWriters: GatewayOptions["queueWriters"],
    /** The OIP gRPC service, when `grpcPort` was given. */
    readonly grpc: GrpcPlane | undefined,
    readonly monitoring: GatewayOptions["monitoring"],
    readonly graceMs: number,
  ) {}

  static async start(graphs: CompiledGraph[], options: GatewayOptions): Promise<Gateway> {
    const registry = GraphRegistry.of(graphs);
    for (const graph of graphs) await graph.start();
    const metrics = options.metrics ?? new GatewayMetrics();
    const streams = new StreamHost(registry, metrics, options.logger);
    const repository = options.modelRepository ? { token: options.adminToken } : undefined;
    const dataPlane = new DataPlane(registry, {
      ...options,
      metrics,
      ready: () => streams.ready,
      repository,
    });
    const address = await dataPlane.listen(options.port, options.host);
    let grpc: GrpcPlane | undefined;
    if (options.grpcPort !== undefined) {
      try {
        const { GrpcPlane } = await import("./grpc/index.js");
        const grpcOptions = { ...options, metrics, ready: () => streams.ready };
        grpc = await GrpcPlane.start(registry, grpcOptions, options.grpcPort, options.host);
      } catch (error) {
        await dataPlane.drain();
        throw error;
      }
    }
    let admin: Server | undefined;
    if (options.adminPort !== false) {
      const control: GraphControl = localControl(
        registry,
        metrics,
        options.compile,
        streams,
        options.startTimeoutMs,
      );
      const handler = lazyAdmin({
        control,
        logger: options.logger,
        ...(options.adminToken ? { token: options.adminToken } : {}),
      });
      try {
        admin = await startAdmin(handler, options.adminPort, options.adminHost);
      } catch (error) {
        await Promise.all([dataPlane.drain(), grpc?.drain()]);
        throw error;
      }
    }
    const adminAddress = admin?.address() as AddressInfo | undefined;
    // Stream triggers start last: by now every graph is started and HTTP is served.
    try {
      await streams.start();
    } catch (error) {
      // Close what listens, or the process would live on without serving anything.
      await Promise.all([dataPlane.drain(), grpc?.drain()]);
      await new Promise<void>((resolve) => (admin ? admin.close(() => resolve()) : resolve()));
      admin?.closeAllConnections();
      await registry.close();
      await options.monitoring?.close(Date.now());
      await options.queueWriters?.close();
      throw error;
    }
    return new Gateway(
      registry,
      dataPlane,
      admin,
      metrics,
      address,
      adminAddress,
      options.logger,
      options.compile,
      streams,
      options.queueWriters,
      grpc,
      options.monitoring,
      options.graceMs ?? 10_000,
    );
  }

  get state(): GatewayState {
    return this.#state;
  }

  /**
   * The graceful stop: triggers stop taking events and finish (and commit) those in flight;
   * the data plane refuses new connections, answers late requests 503 with
   * `Connection: close` and finishes in-flight ones; then graphs drain their in-process queues
   * and close, and the stream connections go last.
   */
  async close(): Promise<void> {
    if (this.#state !== "running") return;
    this.#state = "draining";
    const started = Date.now();
    await Promise.all([this.streams.drain(), this.dataPlane.drain(), this.grpc?.drain()]);
    await new Promise<void>((resolve) => (this.admin ? this.admin.close(() => resolve()) : resolve()));
    this.admin?.closeAllConnections();
    await this.registry.close();
    // Monitoring records of the last requests are flushed, leaving a moment of the grace to exit.
    await this.monitoring?.close(started + Math.max(0, this.graceMs - 500));
    await this.streams.close();
    await this.queueWriters?.close();
    this.#state = "stopped";
  }

  /** The forced stop, for a second signal: connections dropped, nothing awaited. */
  forceClose(): void {
    this.dataPlane.forceClose();
    this.grpc?.forceClose();
    this.admin?.closeAllConnections();
    this.#state = "stopped";
  }
}
