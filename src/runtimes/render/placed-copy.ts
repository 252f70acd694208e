import type { GraphDocument, StepSpec } from "../../graph/index.js";

/** Fields a step keeps when it is placed in Nuclio: how it joins the flow, not what it runs. */
const flowFields = [
  "after",
  "input_path",
  "result_path",
  "full_event",
  "on_error",
  "timeout",
  "function",
  "responder",
  "comment",
  "maxConcurrency",
  "maxQueue",
  "fallback",
] as const;

/** What a copy of a graph changes: where deployed steps answer, and which queues it consumes. */
export interface Placement {
  /** The URL of the function running a step, or undefined for a step this copy runs itself. */
  urlOf: (step: string) => string | undefined;
  /** Queue steps whose streams a function's trigger consumes: the copy only writes to them. */
  deployedQueues: ReadonlySet<string>;
  /** Drop the graph's cron triggers (they fire a function instead). */
  dropCron: boolean;
  /**
   * Steps this copy's process runs itself: a `placement: nuclio` the document gives them is
   * removed, or a function would call itself.
   */
  ownSteps?: ReadonlySet<string>;
}

/**
 * A copy of a graph in which each task step another process runs is placed `nuclio` at its
 * function's URL, keeping only its flow fields (after, paths, on_error, timeout, guards) and
 * its `nuclio` call settings: a change to another step's code or args does not change this
 * copy, so it rolls only that step's function. Queue steps consumed by a function get
 * `consume: false`; the process's own steps lose a `placement: nuclio` the document gave them.
 *
 * The same placement as src/runtimes/nuclio's `placeStepsInNuclio` (which steps move is its
 * `movesToNuclio`), with what a deployment adds: the stripped code, the queues, the crons.
 */
export function placedCopy(document: GraphDocument, placement: Placement): GraphDocument {
  const spec = { ...document.spec };
  if (spec.steps) {
    const steps: Record<string, StepSpec> = {};
    for (const [name, step] of Object.entries(spec.steps)) {
      const url = placement.urlOf(name);
      if (url !== undefined) steps[name] = placedStep(step, url);
      else if (step.kind === "queue" && placement.deployedQueues.has(name))
        steps[name] = { ...step, consume: false };
      else if (placement.ownSteps?.has(name) && step.placement === "nuclio") {
        const { placement: _placed, nuclio: _call, ...local } = step as StepSpec & { nuclio?: unknown };
        steps[name] = local as StepSpec;
      } else steps[name] = step;
    }
    spec.steps = steps;
  }
  if (placement.dropCron && spec.triggers) {
    const triggers = spec.triggers.filter((t) => t.kind !== "cron");
    if (triggers.length > 0) spec.triggers = triggers;
    else delete spec.triggers;
  }
  return { ...document, spec };
}

function placedStep(step: StepSpec, url: string): StepSpec {
  const placed: Record<string, unknown> = { kind: "task" };
  for (const field of flowFields) {
    const value = (step as Record<string, unknown>)[field];
    if (value !== undefined) placed[field] = value;
  }
  placed.placement = "nuclio";
  const own =
    step.kind === undefined || step.kind === "task" ? (step as { nuclio?: object }).nuclio : undefined;
  const routesByPath = step.kind === "router" || step.kind === "model";
  placed.nuclio = { ...own, url: routesByPath ? `${url.endsWith("/") ? url : `${url}/`}{path}` : url };
  return placed as StepSpec;
}
