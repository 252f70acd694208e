import { join } from "node:path";
import { SluiceError } from "../../errors.js";
import { type CompiledGraph, type LoadOptions, loadGraphText, withStartDeadline } from "../../graph/index.js";
import type { GatewayMetrics } from "../metrics/index.js";
import type { GraphRegistry } from "../registry.js";
import type { StreamHost, TriggerSummary } from "../streams.js";
import type { MetricJson } from "../ui/index.js";

/** The formats a graph document may arrive in over the admin API. */
export type GraphFormat = "yaml" | "json";

/** One served graph, as `GET /api/graphs` lists it. */
export interface GraphSummary {
  name: string;
  file: string;
  ready: boolean;
  /** True for the graph reachable at `/` of the data plane. */
  default: boolean;
  /** Model route keys (`name` or `name:version`). */
  models: string[];
  steps: number;
  /** The graph's stream triggers and queue consumers, each with its condition, reason and since when. */
  triggers: TriggerSummary[];
}

/**
 * What the admin plane asks of the gateway. The admin app knows only this interface, so the
 * single-process gateway and a later cluster mode (which asks its worker processes) can
 * share one admin app.
 */
export interface GraphControl {
  list(): Promise<GraphSummary[]>;
  /** The compiled graph as JSON, or undefined when no graph has that name. */
  describe(name: string): Promise<Record<string, unknown> | undefined>;
  /**
   * Compiles, starts and serves a graph document, replacing the graph of the same name.
   * @throws GraphInvalidError when the document has problems; SluiceError on a model clash.
   */
  put(text: string, format: GraphFormat): Promise<{ name: string; replaced: boolean }>;
  /** The Prometheus exposition of every metric. */
  metrics(): Promise<{ contentType: string; text: string }>;
  /** The same metrics as prom-client's JSON (summed over the workers of a cluster), for `/api/stats`. */
  metricsJson(): Promise<MetricJson[]>;
  /** The graph's DAG as SVG (`sluice graph --format svg`), or undefined when no graph has that name. */
  drawing(name: string): Promise<string | undefined>;
}

/** Turns a posted document into a compiled (not yet started) graph. */
export type GraphCompiler = (text: string, format: GraphFormat) => Promise<CompiledGraph>;

/**
 * A compiler for posted documents whose module paths resolve from `dir` (usually the
 * directory `sluice serve` was started in). The posted text is named as a file in `dir`
 * because the file's extension is what picks the parser.
 */
export function compilerIn(dir: string, options: LoadOptions = {}): GraphCompiler {
  return (text, format) => loadGraphText(text, join(dir, `posted-graph.${format}`), options);
}

/**
 * The GraphControl of a single-process gateway: it acts on its own registry and metrics, and
 * replaces a reloaded graph's triggers through its stream host.
 */
export function localControl(
  registry: GraphRegistry,
  metrics: GatewayMetrics,
  compile: GraphCompiler,
  streams: StreamHost,
  /** How long compiling (module loading), init() and model loads of a posted graph may take. */
  startTimeoutMs = 60_000,
): GraphControl {
  return {
    async list() {
      const defaultName = registry.defaultGraph?.name;
      return registry.graphs.map((graph) => ({
        name: graph.name,
        file: graph.file,
        ready: graph.ready,
        default: graph.name === defaultName,
        models: [...graph.models.keys()],
        steps: graph.topology.order.length,
        triggers: streams.health(graph.name),
      }));
    },

    async describe(name) {
      return registry.get(name)?.describe();
    },

    async put(text, format) {
      const graph = await withStartDeadline(
        compile(text, format),
        startTimeoutMs,
        "the posted graph",
        () => "its step modules (a top-level await?) and class constructors",
      );
      try {
        await withStartDeadline(
          startGraph(graph),
          startTimeoutMs,
          `graph "${graph.name}"`,
          () => graph.waitingOn,
        );
        // Only a started graph enters the registry, so requests never see a half-started one;
        // the triggers it needs are started before it does, so a reload fails whole or not at all.
        const { replaced } = await streams.reload(graph, () => registry.put(graph));
        return { name: graph.name, replaced };
      } catch (error) {
        // The registry kept the old version; the new one must not leak its steps' resources.
        await graph.close().catch(() => {});
        throw error;
      }
    },

    async metrics() {
      return { contentType: metrics.registry.contentType, text: await metrics.registry.metrics() };
    },

    metricsJson() {
      return metrics.registry.getMetricsAsJSON();
    },

    async drawing(name) {
      const graph = registry.get(name);
      if (!graph) return undefined;
      // Loaded on first use: `sluice serve` does not pay for the drawing code until someone looks.
      const { drawGraph } = await import("../../graph/draw/index.js");
      return drawGraph(graph.document, "svg");
    },
  };
}

/** Starts a graph; a step's failing `init()` is the posted graph's fault, so it says so. */
async function startGraph(graph: CompiledGraph): Promise<void> {
  try {
    await graph.whenReady();
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new SluiceError("SLUICE_ERR_GRAPH_LOAD", `graph "${graph.name}" failed to start: ${why}`, {
      cause,
    });
  }
}
