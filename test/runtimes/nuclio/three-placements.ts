import { Gateway } from "../../../src/gateway/gateway.js";
import { type CompiledGraph, loadGraph } from "../../../src/graph/index.js";
import { memoryLogger } from "../../helpers/graphs.js";
import { deployRendered } from "./deployed-placement.js";

/** One input to a graph. */
export interface Case {
  name: string;
  body?: unknown;
  path?: string;
  /** The status all three placements must give (so a case tests what it says). */
  status: number;
  /**
   * The served gateway answers this itself, before the graph runs (an unknown model at its
   * OIP endpoint), with its own message: in-process is then compared on the status only.
   */
  answeredByGateway?: boolean;
}

/** What a caller gets: the status and the body (JSON, or base64 for bytes). */
export interface Outcome {
  status: number;
  body: unknown;
}

export type Placement = (c: Case, id: string) => Promise<Outcome>;

/** The graph run three ways; `close` stops every server and process. */
export interface ThreePlacements {
  invoke: Placement;
  serve: Placement;
  deploy: Placement;
  /** The rendered functions started for the deployed placement, by SLUICE_FUNCTION. */
  functions: string[];
  /** Events the deployed functions have answered so far. */
  functionCalls(): number;
  close(): Promise<void>;
}

async function gatewayOf(graph: CompiledGraph) {
  const gateway = await Gateway.start([graph], {
    port: 0,
    host: "127.0.0.1",
    adminPort: false,
    adminHost: "127.0.0.1",
    bodyLimit: 1024 * 1024,
    timeoutMs: 10_000,
    maxTimeoutMs: 30_000,
    logger: memoryLogger(),
    version: "0.0.0-test",
    compile: () => Promise.reject(new Error("no admin plane here")),
  });
  for (const g of gateway.registry.graphs) await g.whenReady();
  return { gateway, url: `http://127.0.0.1:${gateway.address.port}` };
}

function httpPlacement(url: string): Placement {
  return async (c, id) => {
    const response = await fetch(`${url}${c.path ?? "/"}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": id },
      body: JSON.stringify(c.body ?? null),
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    const type = response.headers.get("content-type") ?? "";
    const body =
      bytes.length === 0
        ? undefined
        : type.includes("json")
          ? JSON.parse(bytes.toString())
          : bytes.toString("base64");
    return { status: response.status, body };
  };
}

/**
 * Starts a graph file in-process (`graph.invoke`, as `sluice invoke`), served (a gateway over
 * real HTTP), and deployed: what `sluice deploy --dry-run` renders, each NuclioFunction run
 * under its own Nuclio harness with sluice's entry and the gateway's rendered graph served
 * by a gateway calling those harnesses (see deployed-placement.ts).
 */
export async function threePlacements(file: string): Promise<ThreePlacements> {
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const inProcess = await loadGraph(file, { logger: memoryLogger() });
    closers.push(() => inProcess.close());
    await inProcess.whenReady();
    const served = await gatewayOf(await loadGraph(file, { logger: memoryLogger() }));
    closers.push(() => served.gateway.close());

    const rendered = await deployRendered(file, closers);
    const deployed = await gatewayOf(rendered.gateway);
    closers.push(() => deployed.gateway.close());

    return {
      invoke: async (c, id) => {
        try {
          const value = await inProcess.invoke({
            id,
            body: c.body ?? null,
            path: c.path ?? "/",
            headers: { "x-request-id": id },
          });
          if (value === undefined) return { status: 204, body: undefined };
          if (Buffer.isBuffer(value)) return { status: 200, body: value.toString("base64") };
          return { status: 200, body: JSON.parse(JSON.stringify(value)) };
        } catch (error) {
          const status = (error as { status?: number }).status ?? 500;
          return { status, body: { error: error instanceof Error ? error.message : String(error) } };
        }
      },
      serve: httpPlacement(served.url),
      deploy: httpPlacement(deployed.url),
      functions: rendered.functions,
      functionCalls: () => rendered.harnesses.reduce((sum, h) => sum + h.durations.length, 0),
      close: async () => {
        for (const close of closers.reverse()) await close();
      },
    };
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => {});
    throw error;
  }
}
