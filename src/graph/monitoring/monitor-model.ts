import type { ModelRunner } from "../build/model.js";
import type { GraphEvent } from "../contract.js";
import type { ModelRoute, MonitoringField, MonitoringSpec } from "../document.js";
import type { Runner } from "../executor.js";
import { GenerationRecord } from "./generation-record.js";
import { ModelCallRecord, type ModelFacts, RecordFormat } from "./record.js";
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

/** The generate endpoints, as records name their calls. */
export type GenerateOp = "generate" | "generate_stream";

/**
 * How one model records its calls to its monitoring sink: its infers (the step's runner) and
 * its generations (graph/generate asks for a record as each begins). Each kind of call is
 * sampled on its own, at the model's `sample`.
 */
export class ModelMonitor {
  readonly #infers: Sampler;
  readonly #generations: Sampler;
  readonly #inferFormat: RecordFormat;
  readonly #generateFormats: Record<GenerateOp, RecordFormat>;

  constructor(
    readonly model: ModelRunner,
    settings: MonitoringSpec,
    readonly sink: MonitoringSink,
    where: Pick<ModelFacts, "graph" | "step" | "className" | "labels">,
  ) {
    const sample = settings.sample ?? 1;
    this.#infers = new Sampler(sample);
    this.#generations = new Sampler(sample);
    const facts: ModelFacts = {
      ...where,
      key: model.key,
      model: model.name,
      version: model.version,
      fields: new Set(settings.fields ?? defaultFields),
      samplingPercentage: this.#infers.percentage,
    };
    this.#inferFormat = new RecordFormat(facts);
    this.#generateFormats = {
      generate: new RecordFormat(facts, "generate"),
      generate_stream: new RecordFormat(facts, "generate_stream"),
    };
  }

  /**
   * The model's infer as a step runs it, recording each sampled call. A request that is not
   * sampled costs one counter step; a sampled one two clock reads and a record handed to the
   * sink, whose writer makes the JSON later, apart from the request.
   */
  readonly infer: Runner = (input: unknown, event: GraphEvent) => {
    const { model, sink } = this;
    if (!this.#infers.take()) return model.infer(input, event);
    const record = new ModelCallRecord(this.#inferFormat, event, input, this.#infers.represented());
    let result: unknown;
    try {
      result = model.infer(input, event);
    } catch (error) {
      sink.offer(record.failed(error));
      throw error;
    }
    if (result instanceof Promise) {
      return result.then(
        (response: unknown) => {
          sink.offer(record.answered(response));
          return response;
        },
        (error: unknown) => {
          sink.offer(record.failed(error));
          throw error;
        },
      );
    }
    sink.offer(record.answered(result));
    return result;
  };

  /**
   * A generation about to call the model: its record, handed to the sink when it ends, or
   * undefined when this generation is not sampled.
   */
  generation(request: unknown, event: GraphEvent, op: GenerateOp): GenerationRecord | undefined {
    if (!this.#generations.take()) return undefined;
    const format = this.#generateFormats[op];
    return new GenerationRecord(format, event, request, this.#generations.represented(), this.sink);
  }
}
