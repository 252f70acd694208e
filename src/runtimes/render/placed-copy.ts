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
 * A copy of a graph in which each step another process runs is a task placed `nuclio` at
 * its function's URL: task, model and router steps alike keep only their flow fields
 * (after, paths, on_error, timeout, guards) and any `nuclio` call settings, so a change to
 * another step's code or args does not change this copy. Model and router steps are called
 * at `<url>{path}` so their function sees the OIP path it routes by. Queue steps consumed by
 * a function get `consume: false`.
 *
 * The Nuclio entry (src/runtimes/nuclio) brings a `placeStepsInNuclio(document, urlOf)` of its
 * own on another branch; the two are to be unified into one.
 */
export function placedCopy(document: GraphDocument, placement: Placement): GraphDocument {
  let spec = { ...document.spec };
  const rootUrl = spec.topology === "router" ? placement.urlOf(document.metadata.name) : undefined;
  if (rootUrl !== undefined) {
    // The root router becomes a one-step flow whose one step is called in its function.
    const { router, topology: _flow, ...rest } = spec;
    const step = placedStep({ ...router, kind: "router" } as StepSpec, rootUrl);
    spec = { ...rest, steps: { [document.metadata.name]: step } };
  } else if (spec.steps) {
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
