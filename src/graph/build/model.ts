import { SluiceError } from "../../errors.js";
import type { StepContext } from "../contract.js";
import type { ModelStep } from "../document.js";
import { modelRunner } from "../monitoring/index.js";
import {
  type InferRequest,
  inferResponse,
  type ModelMetadata,
  normaliseOutputs,
  parseInferRequest,
} from "../oip/index.js";
import { callOptional, type LoadedCode, loadCode } from "./code.js";
import { andThen, type BuildEnv, isThenable, reportProblem, stepContext } from "./env.js";
import type { StepRuntime } from "./runtime.js";

type Method = (...args: unknown[]) => unknown;

/**
 * A model behind the Open Inference Protocol: `load()` once (the model is ready when it
 * resolves), then `preprocess → predict → postprocess` per request, shaped as OIP.
 */
export class ModelRunner {
  /** The route key: `name` or `name:version`. */
  readonly key: string;
  readonly name: string;
  readonly version: string | undefined;
  #ready = false;
  #loadError: Error | undefined;
  #loading: Promise<void> | undefined;
  readonly #instance: Record<string, unknown>;
  readonly #predict: Method;
  readonly #ctx: StepContext;

  constructor(key: string, code: LoadedCode, ctx: StepContext) {
    this.key = key;
    const colon = key.indexOf(":");
    this.name = colon < 0 ? key : key.slice(0, colon);
    this.version = colon < 0 ? undefined : key.slice(colon + 1);
    this.#ctx = ctx;
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
  }

  get ready(): boolean {
    return this.#ready;
  }

  get loadError(): Error | undefined {
    return this.#loadError;
  }

  /** Runs the model's `load()` once; readiness follows its outcome. */
  load(): Promise<void> {
    this.#loading ??= callOptional({ kind: "instance", instance: this.#instance }, "load").then(
      () => {
        this.#ready = true;
      },
      (error: unknown) => {
        this.#loadError = error instanceof Error ? error : new Error(String(error));
        this.#ctx.logger.error({ err: this.#loadError, model: this.key }, "model failed to load");
      },
    );
    return this.#loading;
  }

  /** The model's own `close()`, when it has one. */
  close(): Promise<void> {
    return callOptional({ kind: "instance", instance: this.#instance }, "close");
  }

  #method(name: string): Method | undefined {
    const fn = this.#instance[name];
    return typeof fn === "function" ? (fn as Method).bind(this.#instance) : undefined;
  }

  #assertReady(): void {
    if (this.#ready) return;
    // A failed load is permanent: no Retry-After, since waiting will not change it.
    if (this.#loadError) {
      const message = `model "${this.key}" failed to load: ${this.#loadError.message}`;
      throw new SluiceError("SLUICE_ERR_MODEL_NOT_READY", message, { permanent: true });
    }
    throw new SluiceError("SLUICE_ERR_MODEL_NOT_READY", `model "${this.key}" is still loading`);
  }

  /**
   * OIP infer: validates the request, runs the hooks, shapes the response. A model without
   * hooks whose predict is synchronous answers with no closure and no promise on the way.
   */
  infer(body: unknown): unknown {
    this.#assertReady();
    const request = parseInferRequest(body);
    const preprocess = this.#method("preprocess");
    if (!preprocess) return this.#predictAndShape(request);
    return andThen(preprocess(request), (pre) => this.#predictAndShape((pre ?? request) as InferRequest));
  }

  #predictAndShape(request: InferRequest): unknown {
    const outputs = this.#predict(request.inputs, request);
    return isThenable(outputs)
      ? outputs.then((resolved) => this.#shape(request, resolved))
      : this.#shape(request, outputs);
  }

  #shape(request: InferRequest, outputs: unknown): unknown {
    const response = inferResponse(
      this.name,
      this.version,
      request.id,
      normaliseOutputs(outputs, request.outputs),
    );
    const postprocess = this.#method("postprocess");
    return postprocess ? andThen(postprocess(response), (post) => post ?? response) : response;
  }

  /** OIP explain (an extension KServe and MLRun offer): the model's `explain(request)`. */
  explain(body: unknown): unknown {
    this.#assertReady();
    const explain = this.#method("explain");
    if (!explain) {
      throw new SluiceError(
        "SLUICE_ERR_ROUTE_NOT_FOUND",
        `model "${this.key}" does not explain (no explain method)`,
      );
    }
    return explain(parseInferRequest(body));
  }

  /**
   * Text generation: the model's `generate(request, {signal})`, which returns an async
   * iterable of chunks (a string, or `{text_output, ...}`), or one chunk (or a promise of it).
   */
  generate(request: unknown, options: { signal: AbortSignal }): unknown {
    this.#assertReady();
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
  return new ModelRunner(key, code, ctx);
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
