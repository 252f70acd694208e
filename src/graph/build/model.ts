import { SluiceError } from "../../errors.js";
import type { GraphEvent, StepContext } from "../contract.js";
import type { ModelStep } from "../document.js";
import { durationProblem, parseDuration } from "../duration.js";
import { type ModelMonitor, modelRunner } from "../monitoring/index.js";
import {
  type InferRequest,
  inferResponse,
  type ModelMetadata,
  normaliseOutputs,
  parseInferRequest,
  selectOutputs,
  type Tensor,
} from "../oip/index.js";
import { type BatchingSettings, ModelBatcher } from "./batcher.js";
import { callOptional, type LoadedCode, loadCode } from "./code.js";
import { andThen, type BuildEnv, isThenable, reportProblem, stepContext } from "./env.js";
import { type GenerationLease, ModelLifecycle, type ModelState } from "./model-lifecycle.js";
import type { StepRuntime } from "./runtime.js";

type Method = (...args: unknown[]) => unknown;

/**
 * A model behind the Open Inference Protocol: `load()` (the model is ready when it resolves),
 * then `preprocess → predict → postprocess` per request, shaped as OIP. With `batching`,
 * requests meet in a batcher between preprocess and predict. The model repository extension
 * unloads and loads it again (its lifecycle: model-lifecycle.ts).
 */
export class ModelRunner {
  /** The route key: `name` or `name:version`. */
  readonly key: string;
  readonly name: string;
  readonly version: string | undefined;
  readonly #instance: Record<string, unknown>;
  readonly #predict: Method;
  /** The hooks, found once like predict: looking them up on every request cost ~250 instructions. */
  readonly #preprocess: Method | undefined;
  readonly #postprocess: Method | undefined;
  readonly #life: ModelLifecycle;
  readonly #batcher: ModelBatcher | undefined;
  /**
   * Set when the model records its calls to a monitoring stream (`sluice serve` with
   * `monitoring`): its generations are recorded through it, and the gateway keeps the request
   * bytes its records reuse.
   */
  monitor: ModelMonitor | undefined;

  constructor(key: string, code: LoadedCode, ctx: StepContext, batching?: BatchingSettings) {
    this.key = key;
    const colon = key.indexOf(":");
    this.name = colon < 0 ? key : key.slice(0, colon);
    this.version = colon < 0 ? undefined : key.slice(colon + 1);
    // A handler model is just its predict function.
    this.#instance = code.kind === "instance" ? code.instance : { predict: code.fn };
    const predict = this.#instance.predict;
    this.#predict =
      typeof predict === "function"
        ? (predict as Method).bind(this.#instance)
        : () => {
            throw new SluiceError(
              "SLUICE_ERR_ROUTE_NOT_FOUND",
              `model "${key}" generates text only (no predict method): POST .../generate`,
            );
          };
    this.#preprocess = this.#method("preprocess");
    this.#postprocess = this.#method("postprocess");
    const instance: LoadedCode = { kind: "instance", instance: this.#instance };
    this.#life = new ModelLifecycle(
      key,
      { load: () => callOptional(instance, "load"), unload: () => callOptional(instance, "unload") },
      ctx.logger,
    );
    this.#batcher = batching && new ModelBatcher(key, batching, this.#predict, ctx.logger);
  }

  get ready(): boolean {
    return this.#life.ready;
  }

  /** READY, LOADING, UNLOADING or UNAVAILABLE (the model repository extension's states). */
  get state(): ModelState {
    return this.#life.state;
  }

  /** Why the model is unavailable (`failed to load: ...`, `unloaded`), else empty. */
  get reason(): string {
    return this.#life.reason;
  }

  get loadError(): Error | undefined {
    return this.#life.loadError;
  }

  /** Unloaded on request: out of service, but not a failure (the server stays ready). */
  get unloaded(): boolean {
    return this.#life.unloaded;
  }

  /** True when the model batches requests (its step has `batching`). */
  get batches(): boolean {
    return this.#batcher !== undefined;
  }

  /**
   * Runs the model's `load()` (again); resolves with its error when it failed, never rejects.
   * Generations in flight get `graceMs` to end before they are aborted.
   */
  load(graceMs?: number): Promise<Error | undefined> {
    return this.#life.load(graceMs);
  }

  /** Takes the model out of service, then runs its `unload()` (see ModelLifecycle.unload). */
  unload(graceMs?: number): Promise<void> {
    return this.#life.unload(graceMs);
  }

  /** The model's own `close()`, when it has one. */
  close(): Promise<void> {
    return callOptional({ kind: "instance", instance: this.#instance }, "close");
  }

  /** The 503 a request gets while the model is not ready, saying why. */
  notReadyError(): SluiceError {
    return this.#life.notReadyError();
  }

  #method(name: string): Method | undefined {
    const fn = this.#instance[name];
    return typeof fn === "function" ? (fn as Method).bind(this.#instance) : undefined;
  }

  /**
   * OIP infer: validates the request, runs the hooks, shapes the response. A model without
   * hooks or batching whose predict is synchronous answers with no closure and no promise on
   * the way.
   */
  infer(body: unknown, event?: GraphEvent): unknown {
    if (!this.#life.ready) throw this.#life.notReadyError();
    const request = parseInferRequest(body);
    const preprocess = this.#preprocess;
    // The request is inside the model until its answer settles: an unload waits for it.
    // #predictAndShape counts it out, unless it throws at once.
    this.#life.enter();
    try {
      if (!preprocess) return this.#predictAndShape(request, event);
      const pre = preprocess(request);
      if (!isThenable(pre)) return this.#predictAndShape((pre ?? request) as InferRequest, event);
      return pre.then(
        (value) => {
          try {
            return this.#predictAndShape((value ?? request) as InferRequest, event);
          } catch (error) {
            this.#leaveAndThrow(error);
          }
        },
        (error: unknown) => this.#leaveAndThrow(error),
      );
    } catch (error) {
      this.#leaveAndThrow(error);
    }
  }

  /**
   * Predicts (in a batch, with `batching`) and shapes the response, counting the request out
   * of the model when it settles; when it throws at once, the caller counts it out. The
   * common paths (sync predict; async predict without postprocess) add no promise for it.
   */
  #predictAndShape(request: InferRequest, event: GraphEvent | undefined): unknown {
    const queued = this.#batcher?.submit(request, event);
    if (queued) {
      return queued.then(
        (outputs) =>
          this.#leavingOnThrow(() => this.#respond(request, selectOutputs(outputs, request.outputs))),
        (error: unknown) => this.#leaveAndThrow(error),
      );
    }
    const outputs = this.#predict(request.inputs, request);
    if (!isThenable(outputs))
      return this.#left(this.#respond(request, normaliseOutputs(outputs, request.outputs)));
    return outputs.then(
      (resolved) =>
        this.#leavingOnThrow(() => this.#respond(request, normaliseOutputs(resolved, request.outputs))),
      (error: unknown) => this.#leaveAndThrow(error),
    );
  }

  /** `answer()`, counted out of the model when it settles (or throws). */
  #leavingOnThrow(answer: () => unknown): unknown {
    let result: unknown;
    try {
      result = answer();
    } catch (error) {
      this.#leaveAndThrow(error);
    }
    return this.#left(result);
  }

  /** Counts the request out of the model once `result` settles. */
  #left(result: unknown): unknown {
    if (!isThenable(result)) {
      this.#life.leave();
      return result;
    }
    return result.then(
      (value) => {
        this.#life.leave();
        return value;
      },
      (error: unknown) => this.#leaveAndThrow(error),
    );
  }

  #leaveAndThrow(error: unknown): never {
    this.#life.leave();
    throw error;
  }

  #respond(request: InferRequest, outputs: Tensor[]): unknown {
    const response = inferResponse(this.name, this.version, request.id, outputs);
    const postprocess = this.#postprocess;
    return postprocess ? andThen(postprocess(response), (post) => post ?? response) : response;
  }

  /** OIP explain (an extension KServe and MLRun offer): the model's `explain(request)`. */
  explain(body: unknown): unknown {
    if (!this.#life.ready) throw this.#life.notReadyError();
    const explain = this.#method("explain");
    if (!explain) {
      throw new SluiceError(
        "SLUICE_ERR_ROUTE_NOT_FOUND",
        `model "${this.key}" does not explain (no explain method)`,
      );
    }
    const request = parseInferRequest(body);
    this.#life.enter();
    return this.#leavingOnThrow(() => explain(request));
  }

  /**
   * A generation enters the model (a load or unload waits for it, for a while: see
   * ModelLifecycle): the lease's signal is the one to give `generate`, and `leave()` it once
   * the generation ended.
   * @throws SluiceError (503) while the model is not ready.
   */
  enterGeneration(caller: AbortSignal): GenerationLease {
    if (!this.#life.ready) throw this.#life.notReadyError();
    return this.#life.enterGeneration(caller);
  }

  /**
   * Text generation: the model's `generate(request, {signal})`, which returns an async
   * iterable of chunks (a string, or `{text_output, ...}`), or one chunk (or a promise of it).
   */
  generate(request: unknown, options: { signal: AbortSignal }): unknown {
    if (!this.#life.ready) throw this.#life.notReadyError();
    const generate = this.#method("generate");
    if (!generate) {
      throw new SluiceError(
        "SLUICE_ERR_ROUTE_NOT_FOUND",
        `model "${this.key}" does not generate text (no generate method)`,
      );
    }
    return generate(request, options);
  }

  /** OIP model metadata: the model's own `metadata()` merged over the defaults. */
  metadata(): ModelMetadata {
    const own = (this.#method("metadata")?.() ?? {}) as Partial<ModelMetadata>;
    return {
      name: this.name,
      ...(this.version === undefined ? {} : { versions: [this.version] }),
      platform: own.platform ?? "sluice",
      inputs: own.inputs ?? [],
      outputs: own.outputs ?? [],
    };
  }
}

/** Builds the runner of a model (a `kind: model` step or a router's model route). */
export async function buildModelRunner(
  spec: ModelStep,
  at: string,
  key: string,
  stepName: string,
  env: BuildEnv,
): Promise<ModelRunner | undefined> {
  const ctx = stepContext(env, stepName);
  const code = await loadCode(spec, at, stepName, env, ctx);
  if (!code) return undefined;
  // A text generation model may have only generate (docs/generate.md).
  const { instance } = code.kind === "instance" ? code : { instance: undefined };
  if (instance && typeof instance.predict !== "function" && typeof instance.generate !== "function") {
    reportProblem(env, `${at}/class`, `${spec.class} has no predict(inputs, request) method`, stepName);
    return undefined;
  }
  return new ModelRunner(key, code, ctx, batchingOf(spec, at, stepName, env));
}

/** The step's `batching` in milliseconds; the schema checked its shape. */
function batchingOf(spec: ModelStep, at: string, step: string, env: BuildEnv): BatchingSettings | undefined {
  const { batching } = spec;
  if (batching === undefined) return undefined;
  const maxBatchTimeMs = parseDuration(batching.max_batch_time);
  if (maxBatchTimeMs === undefined) {
    reportProblem(env, `${at}/batching/max_batch_time`, durationProblem(batching.max_batch_time), step);
    return undefined;
  }
  // A request queued past the step's timeout is not predicted (wrap.ts reports a bad timeout).
  const timeoutMs = spec.timeout === undefined ? undefined : parseDuration(spec.timeout);
  return { maxBatchSize: batching.max_batch_size, maxBatchTimeMs, timeoutMs };
}

/** A `kind: model` step in a flow: every event is an infer request. */
export async function buildModelStep(
  spec: ModelStep,
  at: string,
  name: string,
  env: BuildEnv,
): Promise<StepRuntime | undefined> {
  const model = await buildModelRunner(spec, at, name, name, env);
  if (!model) return undefined;
  return {
    run: modelRunner(model, spec, at, name, env),
    init: async () => {},
    close: () => model.close(),
    models: [model],
  };
}
