import type { Runner } from "../executor.js";
import type { ModelRunner } from "./model.js";

/** A step ready to run, with its lifecycle. */
export interface StepRuntime {
  run: Runner;
  /** Awaited before the graph serves (a class's `init`). */
  init(): Promise<void>;
  close(): Promise<void>;
  /** The models this step serves (a model step, or a router's model routes). */
  models: ModelRunner[];
}

export const noLifecycle = { init: async () => {}, close: async () => {}, models: [] as ModelRunner[] };
