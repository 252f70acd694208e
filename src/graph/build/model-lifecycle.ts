import { SluiceError } from "../../errors.js";
import type { Logger } from "../contract.js";

/** True when `promise` settled within `ms`, false when the time ran out first. */
async function within(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(resolve, ms, false);
  });
  try {
    return await Promise.race([promise.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A model's state, as the OIP model repository extension (and Triton's `RepositoryIndex`)
 * names it. LOADING → READY, or UNAVAILABLE when `load()` failed; an unload goes READY →
 * UNLOADING → UNAVAILABLE; a load from any state runs `load()` again.
 */
export type ModelState = "READY" | "UNAVAILABLE" | "LOADING" | "UNLOADING";

/** The model's own `load()` and `unload()`. */
export interface ModelHooks {
  load(): Promise<void>;
  unload(): Promise<void>;
}

/** A generation inside the model (`enterGeneration`). */
export interface GenerationLease {
  /** Aborts when the caller's signal does, or when a load or unload stops waiting for it. */
  readonly signal: AbortSignal;
  /** The generation ended: it leaves the model (once; later calls do nothing). */
  leave(): void;
}

/** How long a load or unload waits for generations in flight before it aborts them (default). */
export const defaultGenerationGraceMs = 30_000;

/**
 * The state of one model and the loads and unloads that change it. Loads and unloads run one
 * at a time, in the order asked; each waits until the requests already inside the model have
 * left it, so `load()` or `unload()` never runs beside a `predict`. Generations are waited
 * for too, but only so long: past the grace their signals abort, and they leave.
 */
export class ModelLifecycle {
  #state: ModelState = "LOADING";
  #reason = "";
  #loadError: Error | undefined;
  #inFlight = 0;
  #drained: (() => void) | undefined;
  /** The generations inside the model, to abort when a change stops waiting for them. */
  readonly #generations = new Set<AbortController>();
  /** The last load or unload asked for: the next one starts after it. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly key: string,
    readonly hooks: ModelHooks,
    readonly logger: Logger,
  ) {}

  get state(): ModelState {
    return this.#state;
  }

  /** Why the model is not ready: `failed to load: ...`, `unloaded`, else empty. */
  get reason(): string {
    return this.#reason;
  }

  /** The error of the last load, when it failed and nothing changed the model since. */
  get loadError(): Error | undefined {
    return this.#loadError;
  }

  get ready(): boolean {
    return this.#state === "READY";
  }

  /** True once an unload finished: the model is out of service by request, not by failure. */
  get unloaded(): boolean {
    return this.#state === "UNAVAILABLE" && this.#loadError === undefined;
  }

  /** A request enters the model (the caller checked `ready`). */
  enter(): void {
    this.#inFlight++;
  }

  /** A request left the model. */
  leave(): void {
    if (--this.#inFlight === 0 && this.#drained) {
      const resume = this.#drained;
      this.#drained = undefined;
      resume();
    }
  }

  /**
   * A generation enters the model (the caller checked `ready`); its lease's signal follows
   * `caller` and aborts too when a load or unload waited `graceMs` for it.
   */
  enterGeneration(caller: AbortSignal): GenerationLease {
    this.#inFlight++;
    const controller = new AbortController();
    const follow = () => controller.abort(caller.reason);
    if (caller.aborted) follow();
    else caller.addEventListener("abort", follow, { once: true });
    this.#generations.add(controller);
    let inside = true;
    return {
      signal: controller.signal,
      leave: () => {
        if (!inside) return;
        inside = false;
        caller.removeEventListener("abort", follow);
        this.#generations.delete(controller);
        this.leave();
      },
    };
  }

  /**
   * Runs the model's `load()` (again): resolves with its error when it failed, never rejects.
   * A ready model stops taking requests (503, still loading) while it reloads; generations in
   * flight get `graceMs` to end, then their signals abort.
   */
  load(graceMs = defaultGenerationGraceMs): Promise<Error | undefined> {
    return this.#serially(async () => {
      this.#set("LOADING", "");
      await this.#idle(graceMs, "reloaded");
      try {
        await this.hooks.load();
        this.#loadError = undefined;
        this.#set("READY", "");
        return undefined;
      } catch (thrown) {
        const error = thrown instanceof Error ? thrown : new Error(String(thrown));
        this.#loadError = error;
        this.#set("UNAVAILABLE", `failed to load: ${error.message}`);
        this.logger.error({ err: error, model: this.key }, "model failed to load");
        return error;
      }
    });
  }

  /**
   * Takes the model out of service: new requests get 503, those inside finish (generations
   * within `graceMs`, else they are aborted), then the model's `unload()` runs. Unloading a model that is not loaded only marks it unloaded.
   * @throws SluiceError (SLUICE_ERR_MODEL_UNLOAD_FAILED) when `unload()` threw; the model is
   * unavailable all the same.
   */
  unload(graceMs = defaultGenerationGraceMs): Promise<void> {
    return this.#serially(async () => {
      const wasLoaded = this.#state === "READY";
      this.#loadError = undefined;
      this.#set("UNLOADING", "");
      await this.#idle(graceMs, "unloaded");
      this.#set("UNAVAILABLE", "unloaded");
      if (!wasLoaded) return;
      try {
        await this.hooks.unload();
      } catch (thrown) {
        const why = thrown instanceof Error ? thrown.message : String(thrown);
        this.logger.error({ err: thrown, model: this.key }, "model unload() failed");
        this.#reason = `unloaded; its unload() failed: ${why}`;
        throw new SluiceError(
          "SLUICE_ERR_MODEL_UNLOAD_FAILED",
          `model "${this.key}" is unloaded, but its unload() failed: ${why}`,
          { cause: thrown },
        );
      }
    });
  }

  /** Why a request cannot enter: 503, with Retry-After only while a load is under way. */
  notReadyError(): SluiceError {
    const model = `model "${this.key}"`;
    if (this.#state === "LOADING") {
      return new SluiceError("SLUICE_ERR_MODEL_NOT_READY", `${model} is still loading`);
    }
    // Waiting will not change these: no Retry-After.
    const message =
      this.#state === "UNLOADING"
        ? `${model} is being unloaded`
        : this.#loadError
          ? `${model} failed to load: ${this.#loadError.message}`
          : `${model} is unloaded`;
    return new SluiceError("SLUICE_ERR_MODEL_NOT_READY", message, { permanent: true });
  }

  #set(state: ModelState, reason: string): void {
    this.#state = state;
    this.#reason = reason;
  }

  /**
   * Resolves once no request is inside the model. Infers are waited for (their deadlines
   * bound them); generations, which may stream for as long as a client reads, get `graceMs`,
   * then their signals abort (with a 503 that says why) and they get `graceMs` more to leave,
   * after which the change goes ahead and says so.
   */
  async #idle(graceMs: number, change: string): Promise<void> {
    if (this.#inFlight === 0) return;
    const drained = new Promise<void>((resolve) => {
      this.#drained = resolve;
    });
    // Infers are waited for (their deadlines bound them); generations for a while.
    const generating = () => this.#generations.size > 0;
    if (generating() && !(await within(drained, graceMs)) && generating()) {
      const reason = new SluiceError(
        "SLUICE_ERR_MODEL_NOT_READY",
        `model "${this.key}" was ${change} while generating (it waited ${graceMs} ms for the generation to end)`,
        { permanent: true },
      );
      const count = this.#generations.size;
      for (const generation of this.#generations) generation.abort(reason);
      this.logger.warn(
        { model: this.key, generations: count, graceMs },
        `generations aborted: the model is ${change}`,
      );
      if (!(await within(drained, graceMs)) && generating()) {
        // A model that ignores its signal keeps its generator: the change goes ahead anyway.
        this.logger.warn(
          { model: this.key, inFlight: this.#inFlight },
          `model ${change} with generations still inside it: they did not end ${graceMs} ms after their abort`,
        );
        return;
      }
    }
    return drained;
  }

  #serially<T>(change: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(change);
    this.#queue = next.catch(() => {});
    return next;
  }
}
