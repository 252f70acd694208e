import type { GraphDocument, StepSpec } from "../../graph/index.js";

/** The steps one deployed function holds, by the function's name (a step's `function`, else its own name). */
export type FunctionGroups = ReadonlyMap<string, readonly string[]>;

/**
 * The function groups of a graph: every flow step but queues and error handlers, grouped by
 * its `function:` field (default: the step's own name). A router is one step, so its routes
 * are in its function. Queue steps are the gateway's (they write to a broker or hand on in
 * process) and error handlers run where the executor meets the failure: in the gateway.
 * A graph with `topology: router` has no groups: its one router stays in the gateway.
 */
export function functionGroups(document: GraphDocument): FunctionGroups {
  const groups = new Map<string, string[]>();
  for (const [name, spec] of Object.entries(document.spec.steps ?? {})) {
    const kind = spec.kind ?? "task";
    if (kind === "queue" || kind === "error") continue;
    const fn = spec.function ?? name;
    const steps = groups.get(fn);
    if (steps) steps.push(name);
    else groups.set(fn, [name]);
  }
  return groups;
}

/** Where the function named `fn` answers (the renderer: `http://nuclio-<graph>-<fn>:8080/`). */
export type FunctionUrl = (fn: string, graph: string) => string;

/**
 * The gateway's copy of a deployed graph: every task step that is not explicitly
 * `placement: local` becomes `placement: nuclio` with `nuclio.url` set to its function's URL
 * (its other `nuclio` settings, retries, breaker, target, are kept). The input is not changed.
 *
 * The rule, and why the other kinds stay in the gateway (they run there exactly as under
 * `sluice serve`, so nothing differs between placements):
 * - `task` steps move: the gateway applies `input_path`, `result_path`, `full_event`, guards
 *   and error handlers around the call, and the function runs the step's code with its
 *   `timeout`, answering as src/graph/step-answer.ts says.
 * - `model` steps and routers stay: the gateway serves the OIP endpoints (`/v2/models/...`
 *   metadata, readiness, the model router's path routing) from the models it loaded, and a
 *   switch router's `when` reads the caller's path and headers, which a step call does not carry.
 * - `remote` steps stay (they are HTTP calls already), and so do queues and error handlers.
 * - An explicit `placement: local` stays: the user asked for that step in the gateway.
 */
export function placeStepsInNuclio(document: GraphDocument, urlOf: FunctionUrl): GraphDocument {
  const steps = document.spec.steps;
  if (steps === undefined || document.spec.topology === "router") return document;
  const graph = document.metadata.name;
  const placed: Record<string, StepSpec> = {};
  for (const [name, spec] of Object.entries(steps)) {
    placed[name] = movesToNuclio(spec)
      ? {
          ...spec,
          kind: "task",
          placement: "nuclio",
          nuclio: { ...("nuclio" in spec ? spec.nuclio : {}), url: urlOf(spec.function ?? name, graph) },
        }
      : spec;
  }
  return { ...document, spec: { ...document.spec, steps: placed } };
}

/** True for a step that `placeStepsInNuclio` moves into its function. */
export function movesToNuclio(spec: StepSpec): boolean {
  return (spec.kind ?? "task") === "task" && spec.placement !== "local";
}
