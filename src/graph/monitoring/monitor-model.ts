import type { ModelRunner } from "../build/model.js";
import type { GraphEvent } from "../contract.js";
import type { ModelRoute, MonitoringField, MonitoringSpec } from "../document.js";
import type { Runner } from "../executor.js";
import { ModelCallRecord, RecordFormat } from "./record.js";
import { Sampler } from "./sampler.js";
import type { MonitoringSink } from "./sink.js";

/** What a record holds when `fields` is not given: MLRun's request inputs and response outputs. */
const defaultFields: readonly MonitoringField[] = ["inputs", "outputs"];

/** Where the graph's models find their monitoring streams (given by `sluice serve`). */
export interface GraphMonitoring {
  /** The graph's `spec.monitoring`, for models without their own. */
  graph: MonitoringSpec | undefined;
  labels: Record<string, string> | undefined;
  /** The sink of a stream, or undefined when its URL names no broker. */
  sinkFor(spec: MonitoringSpec): MonitoringSink | undefined;
}

/** What a model's monitoring resolves to: which settings apply, and where they were written. */
export function monitoringOf(
  spec: ModelRoute,
  at: string,
  graph: MonitoringSpec | undefined,
): { settings: MonitoringSpec; at: string } | undefined {
  if (spec.monitoring === false) return undefined;
  if (spec.monitoring) return { settings: spec.monitoring, at: `${at}/monitoring` };
  return graph ? { settings: graph, at: "/spec/monitoring" } : undefined;
}

/**
 * A model's infer as a step runs it, recording each sampled call to its monitoring sink.
 * A request that is not sampled costs one counter step; a sampled one two clock reads and an
 * object handed to the sink, whose writer makes the JSON later, apart from the request.
 */
export function monitoredInfer(
  model: ModelRunner,
  settings: MonitoringSpec,
  sink: MonitoringSink,
  where: { graph: string; step: string; className: string; labels: Record<string, string> | undefined },
): Runner {
  const sampler = new Sampler(settings.sample ?? 1);
  const format = new RecordFormat({
    ...where,
    key: model.key,
    model: model.name,
    version: model.version,
    fields: new Set(settings.fields ?? defaultFields),
    samplingPercentage: sampler.percentage,
  });
  return (input: unknown, event: GraphEvent) => {
    if (!sampler.take()) return model.infer(input, event);
    const represents = sampler.represented();
    const started = Date.now();
    const t0 = performance.now();
    const offer = (outcome: { response: unknown } | { error: unknown }) => {
      const micros = Math.round((performance.now() - t0) * 1000);
      sink.offer(new ModelCallRecord(format, event.id, input, started, micros, outcome, represents));
    };
    let result: unknown;
    try {
      result = model.infer(input, event);
    } catch (error) {
      offer({ error });
      throw error;
    }
    if (result instanceof Promise) {
      return result.then(
        (response: unknown) => {
          offer({ response });
          return response;
        },
        (error: unknown) => {
          offer({ error });
          throw error;
        },
      );
    }
    offer({ response: result });
    return result;
  };
}
