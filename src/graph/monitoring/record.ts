import { hostname } from "node:os";
import { isSluiceError } from "../../errors.js";
import type { MonitoringField } from "../document.js";
import { jsonSafeBytes, type Tensor } from "../oip/index.js";
import type { MonitoringRecord } from "./sink.js";

/** What every record of one model says alike, worked out once when the graph is compiled. */
export interface ModelFacts {
  graph: string;
  step: string;
  /** The route key, `name` or `name:version`: records are partitioned by it. */
  key: string;
  model: string;
  version: string | undefined;
  /** The model's class (or handler) name, MLRun's `class`. */
  className: string;
  labels: Record<string, string> | undefined;
  fields: ReadonlySet<MonitoringField>;
  samplingPercentage: number;
}

const host = hostname();

/**
 * One model call as its monitoring record. The fields mirror those of MLRun's model
 * monitoring stream (`model`, `version`, `class`, `function_uri`, `when`, `microsec`,
 * `request.id`, `request.inputs`, `resp.outputs`, `error`, `sampling_percentage`,
 * `effective_sample_count`), so that jobs written for MLRun's stream can read sluice's;
 * `id`, `graph`, `step` and `status` are sluice's own. The JSON is made when the record is
 * written, never while the request is answered.
 */
export class ModelCallRecord implements MonitoringRecord {
  constructor(
    readonly facts: ModelFacts,
    /** The request id (`x-request-id`). */
    readonly requestId: string,
    /** The infer request the model was given. */
    readonly request: unknown,
    /** When the call started, in milliseconds since the epoch. */
    readonly started: number,
    readonly micros: number,
    /** The model's answer, or its failure. */
    readonly outcome: { response: unknown } | { error: unknown },
    readonly represents: number,
  ) {}

  get key(): string {
    return this.facts.key;
  }

  toJSON(): Record<string, unknown> {
    const { facts, requestId, outcome } = this;
    const { fields } = facts;
    const request = (isObject(this.request) ? this.request : {}) as {
      id?: unknown;
      inputs?: unknown;
      parameters?: unknown;
    };
    const record: Record<string, unknown> = {
      id: requestId,
      graph: facts.graph,
      step: facts.step,
      model: facts.model,
      version: facts.version ?? null,
      class: facts.className,
      function_uri: facts.graph,
      host,
      worker: process.pid,
      op: "infer",
      when: mlrunTime(this.started),
      microsec: this.micros,
      request: {
        id: typeof request.id === "string" ? request.id : requestId,
        ...tensorsPart("inputs", request.inputs, fields.has("inputs"), fields.has("shapes")),
        ...(fields.has("parameters") && request.parameters !== undefined
          ? { parameters: request.parameters }
          : {}),
      },
    };
    if ("error" in outcome) {
      const { error } = outcome;
      record.error = error instanceof Error ? error.message : String(error);
      record.status = statusOf(error);
    } else {
      record.resp = responsePart(outcome.response, fields);
    }
    record.sampling_percentage = facts.samplingPercentage;
    record.effective_sample_count = this.represents;
    if (facts.labels) record.labels = facts.labels;
    return record;
  }
}

function responsePart(response: unknown, fields: ReadonlySet<MonitoringField>): Record<string, unknown> {
  const resp = (isObject(response) ? response : {}) as {
    id?: unknown;
    model_name?: unknown;
    model_version?: unknown;
    outputs?: unknown;
    parameters?: unknown;
  };
  return {
    ...(resp.id === undefined ? {} : { id: resp.id }),
    ...(resp.model_name === undefined ? {} : { model_name: resp.model_name }),
    ...(resp.model_version === undefined ? {} : { model_version: resp.model_version }),
    ...tensorsPart("outputs", resp.outputs, fields.has("outputs"), fields.has("shapes")),
    ...(fields.has("parameters") && resp.parameters !== undefined ? { parameters: resp.parameters } : {}),
  };
}

/** `{inputs: [...]}` whole, or as shapes only, or nothing, as the fields ask. */
function tensorsPart(
  name: string,
  tensors: unknown,
  whole: boolean,
  shapes: boolean,
): Record<string, unknown> {
  if (!Array.isArray(tensors) || !(whole || shapes)) return {};
  if (whole) {
    // BYTES elements held as Buffers go as base64, as the data plane answers them.
    return { [name]: (jsonSafeBytes({ outputs: tensors }) as { outputs: unknown[] }).outputs };
  }
  return {
    [name]: tensors.map((t: Partial<Tensor>) => ({ name: t?.name, datatype: t?.datatype, shape: t?.shape })),
  };
}

function statusOf(error: unknown): number {
  if (isSluiceError(error)) return error.status;
  const status = (error as { status?: unknown } | undefined)?.status;
  return typeof status === "number" && status >= 400 && status <= 599 ? status : 500;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/**
 * MLRun's `when`: Python's `str()` of a UTC datetime, `2024-05-01 12:00:00.123456+00:00`
 * (its stream processor cuts the last six characters and parses the rest).
 */
export function mlrunTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000+00:00`;
}
