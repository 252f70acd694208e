import { isSluiceError, SluiceError } from "../../errors.js";
import { type GenerationLease, isThenable } from "../build/index.js";
import { DROP, type GraphEvent } from "../contract.js";
import { endAborted, type GenerateOp } from "../monitoring/index.js";
import { toStepError } from "../step-error.js";
import type { GeneratePlan } from "./plan.js";

/** One piece of generated text: what an SSE event carries, before the model's name is added. */
export interface GenerateChunk {
  text_output: string;
  /** Per-token details when the model gives them (the spec's StreamDetails). */
  details?: Record<string, unknown>;
  [field: string]: unknown;
}

/** The model's own failure while generating: the spec's 424. */
export class GenerationError extends SluiceError {
  constructor(message: string, cause: unknown) {
    super("SLUICE_ERR_STEP_FAILED", message, { status: 424, cause });
  }
}

/**
 * Runs a generate request through its plan: pre-processing steps, the model's `generate`,
 * then the post-processing steps on each chunk. Chunks are pulled one at a time, only when
 * the caller asks for the next: a slow reader holds the model back. When `signal` aborts
 * (the client went away), waiting stops at once and the model's iterator is returned.
 */
export async function* runGenerate(
  plan: GeneratePlan,
  request: unknown,
  event: GraphEvent,
  signal: AbortSignal,
  op: GenerateOp = "generate_stream",
): AsyncGenerator<GenerateChunk, void, undefined> {
  // Every wait gives up when the signal aborts, so a client that left never waits for a
  // model that ignores its signal.
  let waits = new AbortableWaits(signal);
  let input = request;
  for (const step of plan.pre) {
    const out = stepOutput(step, input, event, waits);
    input = isThenable(out) ? await out : out;
  }
  const { model } = plan;
  const record = model.monitor?.generation(input, event, op);
  // Inside the model from here: a load or unload waits for the generation, then aborts it.
  let lease: GenerationLease;
  try {
    lease = model.enterGeneration(signal);
  } catch (error) {
    record?.failed(error);
    throw error;
  }
  waits = new AbortableWaits(lease.signal);
  const iterator = modelChunks(plan, input, lease.signal);
  const { key } = model;
  try {
    for (;;) {
      let next: IteratorResult<unknown>;
      try {
        next = await waits.wait(iterator.next());
      } catch (error) {
        // sluice's own refusals (a model still loading, one that does not generate) keep
        // their status; whatever the model itself threw is the spec's generation error.
        if (waits.signal.aborted || isSluiceError(error)) throw error;
        throw new GenerationError(`Request failed during generation: ${messageOf(error)}`, error);
      }
      if (next.done) {
        record?.done();
        return;
      }
      let chunk: unknown = chunkOf(next.value, key);
      record?.chunk((chunk as GenerateChunk).text_output, (chunk as GenerateChunk).details);
      if (plan.post.length === 0) {
        yield chunk as GenerateChunk;
        continue;
      }
      for (const step of plan.post) {
        const out = stepOutput(step, chunk, event, waits);
        chunk = isThenable(out) ? await out : out;
        if (chunk === DROP || chunk === undefined) break;
      }
      if (chunk !== DROP && chunk !== undefined) yield chunkOf(chunk, key);
    }
  } catch (error) {
    if (record && waits.signal.aborted) endAborted(record, waits.signal.reason);
    else record?.failed(error);
    throw error;
  } finally {
    // The caller stopped pulling before the end (its client left).
    if (record && !record.ended) endAborted(record, waits.signal.reason ?? "the caller stopped reading");
    // The model's own clean-up (a generator's finally): not awaited, since a model that
    // ignores the signal may hold it until its next token. The generation leaves the model
    // once that clean-up is done (a load or unload waits for it, for a while).
    void Promise.resolve()
      .then(() => iterator.return?.())
      .catch(() => {})
      .finally(() => lease.leave());
  }
}

/**
 * Waits, one after the other, that reject with the signal's reason once it aborts. One abort
 * listener serves them all: a race of each wait against one long-lived promise would leave a
 * reaction on that promise per token, kept until the generation ends (the garbage collector
 * then copies thousands of them out of its young generation, about a third of a stream's CPU).
 */
class AbortableWaits {
  #reject: ((reason: unknown) => void) | undefined;

  constructor(readonly signal: AbortSignal) {
    signal.addEventListener("abort", () => this.#reject?.(signal.reason), { once: true });
  }

  /** `promise`'s outcome, or the signal's reason if it aborts first. */
  wait<T>(promise: PromiseLike<T>): Promise<T> {
    const { signal } = this;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      this.#reject = reject;
      promise.then(resolve, reject);
    });
  }
}

/**
 * A step's output: the value of a synchronous step as it is (no promise per chunk), else a
 * promise that also rejects on abort. A failure names the step, as in a graph's run.
 */
function stepOutput(
  step: GeneratePlan["pre"][number],
  input: unknown,
  event: GraphEvent,
  waits: AbortableWaits,
): unknown {
  let out: unknown;
  try {
    out = step.run(input, event);
  } catch (error) {
    throw toStepError(step.name, error);
  }
  if (!isThenable(out)) return out;
  return waits.wait(out).catch((error: unknown) => {
    throw waits.signal.aborted ? error : toStepError(step.name, error);
  });
}

/** The model's chunks as an iterator: its async iterable, or the one chunk it returned. */
function modelChunks(plan: GeneratePlan, request: unknown, signal: AbortSignal): AsyncIterator<unknown> {
  let produced: unknown;
  try {
    produced = plan.model.generate(request, { signal });
  } catch (error) {
    return failing(error);
  }
  if (isAsyncIterable(produced)) return produced[Symbol.asyncIterator]();
  let done = false;
  return {
    next: async () => {
      if (done) return { done: true, value: undefined };
      done = true;
      return { done: false, value: await produced };
    },
  };
}

function failing(error: unknown): AsyncIterator<unknown> {
  return { next: () => Promise.reject(error) };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function"
  );
}

/** A chunk as the spec carries it: a string is the text; an object must hold `text_output`. */
function chunkOf(value: unknown, model: string): GenerateChunk {
  if (typeof value === "string") return { text_output: value };
  if (
    value !== null &&
    typeof value === "object" &&
    typeof (value as GenerateChunk).text_output === "string"
  ) {
    return value as GenerateChunk;
  }
  const type = typeof value;
  const got =
    value === null
      ? "null"
      : Array.isArray(value)
        ? "an array"
        : /^[aeiou]/.test(type)
          ? `an ${type}`
          : `a ${type}`;
  throw new GenerationError(
    `Request failed during generation: model "${model}" gave ${got} as a chunk; a chunk is a string or {text_output: string, ...}`,
    undefined,
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
