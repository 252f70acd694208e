import { performance } from "node:perf_hooks";
import { isSluiceError } from "../../errors.js";
import type { GraphEvent } from "../contract.js";
import { isObject, jsonString, mlrunTime, type RecordFormat, statusOf } from "./record.js";
import { type MonitoringRecord, type MonitoringSink, type RecordWriter, recordText } from "./sink.js";

/** How a generation ended, as its record says. */
type Ending = { done: true } | { error: unknown } | { cancelled: string };

/**
 * One text generation as its monitoring record (docs/monitoring.md): the prompt, what the
 * model generated (its chunks' text, before any post-processing step, and how many chunks),
 * the time to its first chunk and to its end, and how it ended (done, failed with a status,
 * or cancelled by the client). It is handed to the sink once the generation ended.
 */
export class GenerationRecord implements MonitoringRecord {
  /** When the model was called, in milliseconds since the epoch. */
  readonly started = Date.now();
  readonly #t0 = performance.now();
  #firstMicros: number | undefined;
  #micros = 0;
  #chunks = 0;
  #text = "";
  #finishReason: unknown;
  #ending: Ending | undefined;

  constructor(
    readonly format: RecordFormat,
    readonly event: GraphEvent,
    /** The generate request the model was given: `{text_input, parameters, ...}`. */
    readonly request: unknown,
    readonly represents: number,
    readonly sink: MonitoringSink,
  ) {}

  get key(): string {
    return this.format.key;
  }

  /** The model gave a chunk (its text, and the spec's details when it has some). */
  chunk(text: string, details: Record<string, unknown> | undefined): void {
    if (this.#chunks++ === 0) this.#firstMicros = this.#since();
    if (this.format.outputs || this.format.shapes) this.#text += text;
    if (details?.finish_reason !== undefined) this.#finishReason = details.finish_reason;
  }

  /** The model finished. */
  done(): void {
    this.#end({ done: true });
  }

  /** The generation failed (the model, a step, the deadline, an unload). */
  failed(error: unknown): void {
    this.#end({ error });
  }

  /** The client went away before the end: `why` is the abort's reason. */
  cancelled(why: unknown): void {
    this.#end({ cancelled: why instanceof Error ? why.message : String(why ?? "cancelled") });
  }

  /** True once the generation ended and the record went to its sink. */
  get ended(): boolean {
    return this.#ending !== undefined;
  }

  #end(ending: Ending): void {
    if (this.#ending) return;
    this.#ending = ending;
    this.#micros = this.#since();
    this.sink.offer(this);
  }

  #since(): number {
    return Math.round((performance.now() - this.#t0) * 1000);
  }

  write(out: RecordWriter): void {
    const { format } = this;
    const ending = this.#ending ?? { done: true };
    const request = (isObject(this.request) ? this.request : {}) as {
      text_input?: unknown;
      parameters?: unknown;
    };
    const id = jsonString(this.event.id);
    let json = `${format.opening}${id},"when":"${mlrunTime(this.started)}","microsec":${this.#micros}`;
    json += `,"first_token_microsec":${this.#firstMicros ?? null}`;
    json += `,"request":{"id":${id}`;
    const prompt = typeof request.text_input === "string" ? request.text_input : "";
    if (format.inputs) json += `,"text_input":${JSON.stringify(prompt)}`;
    else if (format.shapes) json += `,"text_input_chars":${prompt.length}`;
    if (format.parameters && request.parameters !== undefined) {
      json += `,"parameters":${JSON.stringify(request.parameters)}`;
    }
    json += `},"resp":{"model_name":${JSON.stringify(this.format.model)}`;
    if (this.format.version !== undefined) json += `,"model_version":${JSON.stringify(this.format.version)}`;
    if (format.outputs) json += `,"text_output":${JSON.stringify(this.#text)}`;
    else if (format.shapes) json += `,"text_output_chars":${this.#text.length}`;
    json += `,"chunks":${this.#chunks}`;
    if (this.#finishReason !== undefined) json += `,"finish_reason":${JSON.stringify(this.#finishReason)}`;
    json += "}";
    if ("error" in ending) {
      const { error } = ending;
      const message = error instanceof Error ? error.message : String(error);
      json += `,"error":${JSON.stringify(message)},"status":${statusOf(error)}`;
    } else if ("cancelled" in ending) {
      json += `,"cancelled":${JSON.stringify(ending.cancelled)}`;
    }
    out.text(`${json}${format.closing}${this.represents}}`);
  }

  /** The record as an object (what `write` writes). */
  toJSON(): unknown {
    return JSON.parse(recordText(this));
  }
}

/** A generation's abort as its record tells it: sluice's own (deadline, unload) fail it. */
export function endAborted(record: GenerationRecord, reason: unknown): void {
  if (isSluiceError(reason)) record.failed(reason);
  else record.cancelled(reason);
}
