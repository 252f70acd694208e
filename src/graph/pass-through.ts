import type { StepBase } from "./document.js";
import type { PlannedStep, Topology } from "./topology.js";

/**
 * Where a graph's JSON may stay in its bytes (src/graph/json-bytes.ts), decided once when the
 * graph compiles: where no step can touch the body, parsing it and writing it again would
 * only cost time and change what JSON.parse changes.
 */
export interface PassThrough {
  /**
   * The request's JSON body may reach the graph as bytes: the graph's only first step is a
   * remote step that sends its input as a whole (no `input_path`, `result_path` or
   * `full_event`), so no step reads the body before it goes out.
   */
  request: boolean;
  /**
   * Remote steps that may keep a JSON answer as bytes: nothing runs after them and their
   * answer is not placed into the body (`result_path`), so only the caller reads it.
   */
  answers: ReadonlySet<string>;
}

/** Where `topology` can pass JSON through unparsed. */
export function planPassThrough(topology: Topology): PassThrough {
  const roots = topology.order.filter((step) => step.after.length === 0);
  const first = roots.length === 1 ? roots[0] : undefined;
  const request =
    first !== undefined &&
    first.kind === "remote" &&
    !readsPart(first.spec) &&
    first.spec.result_path === undefined;
  const answers = new Set(
    topology.order
      .filter(
        (step) =>
          step.kind === "remote" &&
          (topology.downstream.get(step.name) ?? []).length === 0 &&
          step.spec.result_path === undefined,
      )
      .map((step: PlannedStep) => step.name),
  );
  return { request, answers };
}

/** The step reads a part of the body, or the whole event: it needs the body parsed. */
function readsPart(spec: StepBase): boolean {
  return spec.input_path !== undefined || spec.full_event === true;
}
