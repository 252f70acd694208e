import { hostname } from "node:os";
import { performance } from "node:perf_hooks";
import { isSluiceError } from "../../errors.js";
import type { GraphEvent } from "../contract.js";
import type { MonitoringField } from "../document.js";
import { jsonSafeBytes, type Tensor } from "../oip/index.js";
import { answerText, requestBytes } from "./reuse.js";
import { type MonitoringRecord, type RecordWriter, recordText } from "./sink.js";

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
 * How one model's records are written: the fields every record shares are JSON made once,
 * and each record adds only its own. (A record is serialised per request at sample 1: the
 * writer's whole cost per record is about this and the broker client's.)
 */
export class RecordFormat {
  readonly key: string;
  readonly model: string;
  readonly version: string | undefined;
  readonly inputs: boolean;
  readonly outputs: boolean;
  readonly shapes: boolean;
  readonly parameters: boolean;
  /** `{"graph":...,"op":"infer","id":`: what every record starts with, but its id. */
  readonly opening: string;
  /** `,"sampling_percentage":...,"labels":...,"effective_sample_count":`: every record's end, but its count. */
  readonly closing: string;

  constructor(
    facts: ModelFacts,
    /** The call recorded: `infer`, `generate` or `generate_stream`. */
    op = "infer",
  ) {
    this.key = facts.key;
    this.model = facts.model;
    this.version = facts.version;
    this.inputs = facts.fields.has("inputs");
    this.outputs = facts.fields.has("outputs");
    this.shapes = facts.fields.has("shapes");
    this.parameters = facts.fields.has("parameters");
    const shared = {
      graph: facts.graph,
      step: facts.step,
      model: facts.model,
      version: facts.version ?? null,
      class: facts.className,
      function_uri: facts.graph,
      host,
      worker: process.pid,
      op,
    };
    this.opening = `${JSON.stringify(shared).slice(0, -1)},"id":`;
    const labels = facts.labels ? `,"labels":${JSON.stringify(facts.labels)}` : "";
    this.closing = `,"sampling_percentage":${facts.samplingPercentage}${labels},"effective_sample_count":`;
  }
}

/**
 * One model call as its monitoring record. The fields mirror those of MLRun's model
 * monitoring stream (`model`, `version`, `class`, `function_uri`, `when`, `microsec`,
 * `request.id`, `request.inputs`, `resp.outputs`, `error`, `sampling_percentage`,
 * `effective_sample_count`), so that jobs written for MLRun's stream can read sluice's;
 * `id`, `graph`, `step` and `status` are sluice's own. The JSON is made when the record is
 * written, never while the request is answered, from the bytes the gateway already holds
 * where it can (reuse.ts).
 */
export class ModelCallRecord implements MonitoringRecord {
  /** When the call started, in milliseconds since the epoch. */
  readonly started = Date.now();
  readonly #t0 = performance.now();
  micros = 0;
  /** The model's answer, or its failure. */
  outcome: { response: unknown } | { error: unknown } = noOutcome;

  constructor(
    readonly format: RecordFormat,
    /** The event the model was called for: its id is the request id (`x-request-id`). */
    readonly event: GraphEvent,
    /** The infer request the model was given. */
    readonly request: unknown,
    readonly represents: number,
  ) {}

  /** The call answered `response`: the record, timed. */
  answered(response: unknown): this {
    this.micros = Math.round((performance.now() - this.#t0) * 1000);
    this.outcome = { response };
    return this;
  }

  /** The call failed: the record, timed. */
  failed(error: unknown): this {
    this.micros = Math.round((performance.now() - this.#t0) * 1000);
    this.outcome = { error };
    return this;
  }

  get key(): string {
    return this.format.key;
  }

  write(out: RecordWriter): void {
    const { format, outcome } = this;
    const request = (isObject(this.request) ? this.request : {}) as {
      id?: unknown;
      inputs?: unknown;
      parameters?: unknown;
    };
    // Written in as few pieces as it can be (each is a call into the writer's buffer): the
    // text before the request's bytes, those bytes when they are reused, and the text after.
    const id = jsonString(this.event.id);
    const timed = `${format.opening}${id},"when":"${mlrunTime(this.started)}","microsec":${this.micros},"request":`;
    const bytes =
      format.inputs && (format.parameters || request.parameters === undefined)
        ? requestBytes(this.request, this.event)
        : undefined;
    let json: string;
    if (bytes) {
      // The body as it arrived; MLRun reads request.id, given the request id when it has none.
      if (typeof request.id === "string") {
        out.text(timed);
        out.bytes(bytes);
      } else {
        const open = bytes.indexOf(0x7b) + 1;
        // An empty object gets the id alone: no comma before its closing brace.
        out.text(isEmptyObjectFrom(bytes, open) ? `${timed}{"id":${id}` : `${timed}{"id":${id},`);
        out.bytes(bytes, open);
      }
      json = "";
    } else {
      json = `${timed}{"id":${typeof request.id === "string" ? jsonString(request.id) : id}`;
      json += tensors("inputs", request.inputs, format.inputs, format.shapes);
      if (format.parameters && request.parameters !== undefined) {
        json += `,"parameters":${JSON.stringify(request.parameters)}`;
      }
      json += "}";
    }
    if ("error" in outcome) {
      const { error } = outcome;
      const message = error instanceof Error ? error.message : String(error);
      json += `,"error":${JSON.stringify(message)},"status":${statusOf(error)}`;
    } else {
      json += `,"resp":${this.#sentText(outcome.response) ?? responseJson(outcome.response, format)}`;
    }
    out.text(`${json}${format.closing}${this.represents}}`);
  }

  /**
   * The response as the data plane sent it, when the record wants it whole: its outputs, and
   * its parameters unless the response has none or the fields ask for them.
   */
  #sentText(response: unknown): string | undefined {
    const { format } = this;
    if (!format.outputs || !isObject(response)) return undefined;
    if (!format.parameters && response.parameters !== undefined) return undefined;
    return answerText(response, this.event);
  }

  /** The record as an object (what `write` writes). */
  toJSON(): unknown {
    return JSON.parse(recordText(this));
  }
}

const noOutcome = { error: new Error("the call has not ended") };

/** Characters a JSON string must escape, and lone surrogates (which `JSON.stringify` escapes). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what JSON escapes
const needsEscape = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * `JSON.stringify` of a string, quoted directly when nothing in it needs escaping: a request
 * id almost never does, and the serialiser's set-up costs more than the id.
 */
export function jsonString(text: string): string {
  return needsEscape.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/** True when JSON `bytes` hold only blanks and the closing brace from `at` on (a body of `{}`). */
function isEmptyObjectFrom(bytes: Uint8Array, at: number): boolean {
  let i = at;
  while (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0d) i++;
  return bytes[i] === 0x7d;
}

function responseJson(response: unknown, format: RecordFormat): string {
  const resp = (isObject(response) ? response : {}) as {
    id?: unknown;
    model_name?: unknown;
    model_version?: unknown;
    outputs?: unknown;
    parameters?: unknown;
  };
  const parts: string[] = [];
  if (resp.id !== undefined) parts.push(`"id":${JSON.stringify(resp.id)}`);
  if (resp.model_name !== undefined) parts.push(`"model_name":${JSON.stringify(resp.model_name)}`);
  if (resp.model_version !== undefined) parts.push(`"model_version":${JSON.stringify(resp.model_version)}`);
  let json = `{${parts.join(",")}`;
  const outputs = tensors("outputs", resp.outputs, format.outputs, format.shapes);
  json += parts.length === 0 && outputs ? outputs.slice(1) : outputs;
  if (format.parameters && resp.parameters !== undefined) {
    json += `${json.length > 1 ? "," : ""}"parameters":${JSON.stringify(resp.parameters)}`;
  }
  return `${json}}`;
}

/** `,"inputs":[...]` whole, or as shapes only, or nothing, as the fields ask. */
function tensors(name: string, list: unknown, whole: boolean, shapes: boolean): string {
  if (!Array.isArray(list) || !(whole || shapes)) return "";
  if (whole) {
    // BYTES elements held as Buffers go as base64, as the data plane answers them.
    const safe = list.some((t: Partial<Tensor>) => t?.datatype === "BYTES")
      ? (jsonSafeBytes({ outputs: list }) as { outputs: unknown[] }).outputs
      : list;
    return `,"${name}":${JSON.stringify(safe)}`;
  }
  const described = list.map((t: Partial<Tensor>) => ({
    name: t?.name,
    datatype: t?.datatype,
    shape: t?.shape,
  }));
  return `,"${name}":${JSON.stringify(described)}`;
}

/** The HTTP status a failure answered, as a record states it. */
export function statusOf(error: unknown): number {
  if (isSluiceError(error)) return error.status;
  const status = (error as { status?: unknown } | undefined)?.status;
  return typeof status === "number" && status >= 400 && status <= 599 ? status : 500;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/**
 * MLRun's `when`: Python's `str()` of a UTC datetime, `2024-05-01 12:00:00.123456+00:00`
 * (its stream processor cuts the last six characters and parses the rest).
 */
export function mlrunTime(ms: number): string {
  // Formatting a Date costs as much as the rest of a record: the second is made once.
  const second = Math.floor(ms / 1000);
  if (second !== formatted.second) {
    const iso = new Date(second * 1000).toISOString();
    formatted.second = second;
    formatted.prefix = `${iso.slice(0, 10)} ${iso.slice(11, 19)}.`;
  }
  const millis = ms - second * 1000;
  return `${formatted.prefix}${millis < 10 ? "00" : millis < 100 ? "0" : ""}${millis}000+00:00`;
}

/** The last second `mlrunTime` formatted, and its text up to the fraction. */
const formatted = { second: Number.NaN, prefix: "" };
