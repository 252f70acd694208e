import { SluiceError } from "../../errors.js";
import type { Logger } from "../contract.js";

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

/**
 * The state of one model and the loads and unloads that change it. Loads and unloads run one
 * at a time, in the order asked; each waits until the requests already inside the model have
 * left it, so `load()` or `unload()` never runs beside a `predict`.
 */
export class ModelLifecycle {
  #state: ModelState = "LOADING";
  #reason = "";
  #loadError: Error | undefined;
  #inFlight = 0;
  #drained: (() => void) | undefined;
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
   * Runs the model's `load()` (again): resolves with its error when it failed, never rejects.
   * A ready model stops taking requests (503, still loading) while it reloads.
   */
  load(): Promise<Error | undefined> {
    return this.#serially(async () => {
      this.#set("LOADING", "");
      await this.#idle();
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
   * Takes the model out of service: new requests get 503, those inside finish, then the
   * model's `unload()` runs. Unloading a model that is not loaded only marks it unloaded.
   * @throws SluiceError (SLUICE_ERR_MODEL_UNLOAD_FAILED) when `unload()` threw; the model is
   * unavailable all the same.
   */
  unload(): Promise<void> {
    return this.#serially(async () => {
      const wasLoaded = this.#state === "READY";
      this.#loadError = undefined;
      this.#set("UNLOADING", "");
      await this.#idle();
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

  #idle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#drained = resolve;
    });
  }

  #serially<T>(change: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(change);
    this.#queue = next.catch(() => {});
    return next;
  }
}
