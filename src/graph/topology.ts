import type { GraphDocument, StepKind, StepSpec } from "./document.js";
import { type Problem, pointer } from "./problems.js";

/** A step of the flow, with where it sits in the document. */
export interface PlannedStep {
  name: string;
  kind: StepKind;
  spec: StepSpec;
  /** JSON pointer of the step in the document, for problems. */
  at: string;
  after: string[];
}

/**
 * The shape of a graph once its references are checked: which steps run in which order,
 * who answers, and where queues cut the flow into segments. Pure: no code is loaded.
 */
export interface Topology {
  name: string;
  /** Flow steps (everything but error handlers) in a topological order. */
  order: PlannedStep[];
  /** Error handlers, by name. */
  handlers: Map<string, PlannedStep>;
  /** The step whose output answers the caller, if any. */
  responder: string | undefined;
  graphOnError: string | undefined;
  /** Downstream step names per step. */
  downstream: Map<string, string[]>;
  /** Steps behind a queue step run in the queue's consumer; segment 0 is the caller's. */
  segmentOf: Map<string, number>;
  servesHttp: boolean;
}

/** Normalises `topology: router` into a one-step flow, so everything downstream sees steps. */
export function flowSteps(doc: GraphDocument): { steps: [string, StepSpec, string][] } {
  if (doc.spec.topology === "router") {
    const router = doc.spec.router ?? { routes: {} };
    return {
      steps: [[doc.metadata.name, { ...router, kind: "router" } as StepSpec, pointer("spec", "router")]],
    };
  }
  return {
    steps: Object.entries(doc.spec.steps ?? {}).map(([name, spec]) => [
      name,
      spec,
      pointer("spec", "steps", name),
    ]),
  };
}

export function planTopology(doc: GraphDocument, file: string): { topology: Topology; problems: Problem[] } {
  const problems: Problem[] = [];
  const problem = (at: string, message: string, step?: string) =>
    problems.push({ file, pointer: at, message, ...(step === undefined ? {} : { step }) });

  const all = new Map<string, PlannedStep>();
  for (const [name, spec, at] of flowSteps(doc).steps) {
    all.set(name, { name, kind: spec.kind ?? "task", spec, at, after: spec.after ?? [] });
  }
  const handlers = new Map([...all].filter(([, s]) => s.kind === "error"));
  const flow = new Map([...all].filter(([, s]) => s.kind !== "error"));

  for (const step of all.values()) {
    step.after.forEach((up, i) => {
      const at = `${step.at}/after/${i}`;
      if (!all.has(up)) problem(at, `unknown step "${up}" in after${known(flow)}`, step.name);
      else if (handlers.has(up))
        problem(at, `"${up}" is an error handler; list it in on_error, not after`, step.name);
      else if (step.kind === "error")
        problem(at, "an error handler runs on failures, it cannot have after", step.name);
    });
    if (step.spec.on_error !== undefined) checkHandler(step.spec.on_error, `${step.at}/on_error`, step.name);
    if (step.kind === "error") {
      ((step.spec as { before?: string[] }).before ?? []).forEach((target, i) => {
        if (!flow.has(target))
          problem(`${step.at}/before/${i}`, `unknown step "${target}" in before${known(flow)}`, step.name);
      });
    }
  }
  const graphOnError = doc.spec.on_error;
  if (graphOnError !== undefined) checkHandler(graphOnError, pointer("spec", "on_error"));

  function checkHandler(name: string, at: string, step?: string) {
    if (handlers.has(name)) return;
    const why = flow.has(name)
      ? `"${name}" is not a step of kind error`
      : `unknown error handler "${name}"${known(handlers)}`;
    problem(at, why, step);
  }

  const order = topologicalOrder(flow, (cycle) =>
    problem(`${flow.get(cycle[0] as string)?.at ?? ""}/after`, `cycle: ${cycle.join(" → ")}`, cycle[0]),
  );

  const downstream = new Map<string, string[]>([...flow.keys()].map((n) => [n, []]));
  for (const step of flow.values()) for (const up of step.after) downstream.get(up)?.push(step.name);

  const segmentOf = assignSegments(order, flow, (step, message) =>
    problem(`${step.at}/after`, message, step.name),
  );
  const triggers = doc.spec.triggers ?? [];
  const servesHttp = triggers.length === 0 || triggers.some((t) => t.kind === "http");
  const responder = chooseResponder(doc, flow, downstream, segmentOf, servesHttp, problem);

  return {
    topology: {
      name: doc.metadata.name,
      order,
      handlers,
      responder,
      graphOnError,
      downstream,
      segmentOf,
      servesHttp,
    },
    problems,
  };
}

function known(steps: Map<string, unknown>): string {
  return steps.size > 0 ? ` (known: ${[...steps.keys()].join(", ")})` : "";
}

/** Kahn's algorithm; steps left over lie on or behind a cycle, which is then named. */
function topologicalOrder(flow: Map<string, PlannedStep>, onCycle: (cycle: string[]) => void): PlannedStep[] {
  const indegree = new Map<string, number>();
  for (const step of flow.values()) indegree.set(step.name, step.after.filter((u) => flow.has(u)).length);
  const ready = [...flow.values()].filter((s) => indegree.get(s.name) === 0);
  const order: PlannedStep[] = [];
  const downstream = new Map<string, PlannedStep[]>();
  // Unknown names in `after` get a list too, never read: only flow steps are taken from `ready`.
  for (const step of flow.values()) {
    for (const up of step.after) downstream.set(up, [...(downstream.get(up) ?? []), step]);
  }
  while (ready.length > 0) {
    const step = ready.shift() as PlannedStep;
    order.push(step);
    for (const next of downstream.get(step.name) ?? []) {
      const left = (indegree.get(next.name) ?? 0) - 1;
      indegree.set(next.name, left);
      if (left === 0) ready.push(next);
    }
  }
  // Steps left out of the order lie on or behind a cycle; a graph without one has none to find.
  const cycle = findCycle(flow);
  if (cycle) onCycle(cycle);
  return order;
}

function findCycle(flow: Map<string, PlannedStep>): string[] | undefined {
  const onPath: string[] = [];
  const visited = new Set<string>();
  const visit = (name: string): string[] | undefined => {
    const at = onPath.indexOf(name);
    if (at >= 0) return [...onPath.slice(at), name];
    if (visited.has(name)) return undefined;
    visited.add(name);
    onPath.push(name);
    for (const up of flow.get(name)?.after ?? []) {
      const cycle = flow.has(up) ? visit(up) : undefined;
      if (cycle) return cycle;
    }
    onPath.pop();
    return undefined;
  };
  for (const name of flow.keys()) {
    const cycle = visit(name);
    // Walking `after` goes upstream; reverse so the cycle reads in the direction events flow.
    if (cycle) return cycle.reverse();
  }
  return undefined;
}

/** Segment 0 is what the caller's event walks; each queue step starts a new segment behind it. */
function assignSegments(
  order: PlannedStep[],
  flow: Map<string, PlannedStep>,
  onProblem: (step: PlannedStep, message: string) => void,
): Map<string, number> {
  const segmentOf = new Map<string, number>();
  let segments = 0;
  const queueSegment = new Map<string, number>();
  for (const step of order) {
    const upstreamSegments = new Set(
      step.after
        .filter((u) => flow.has(u))
        .map((u) =>
          flow.get(u)?.kind === "queue" ? (queueSegment.get(u) as number) : (segmentOf.get(u) as number),
        ),
    );
    if (upstreamSegments.size > 1) {
      onProblem(step, "a step cannot join branches from both sides of a queue step");
    }
    segmentOf.set(step.name, upstreamSegments.values().next().value ?? 0);
    if (step.kind === "queue") queueSegment.set(step.name, ++segments);
  }
  return segmentOf;
}

function chooseResponder(
  doc: GraphDocument,
  flow: Map<string, PlannedStep>,
  downstream: Map<string, string[]>,
  segmentOf: Map<string, number>,
  servesHttp: boolean,
  problem: (at: string, message: string, step?: string) => void,
): string | undefined {
  const flagged = [...flow.values()].filter((s) => s.spec.responder === true);
  const named = doc.spec.responder;
  if (named !== undefined && !flow.has(named)) {
    problem(pointer("spec", "responder"), `unknown step "${named}" as responder${known(flow)}`);
    return undefined;
  }
  const candidates = new Set([...(named === undefined ? [] : [named]), ...flagged.map((s) => s.name)]);
  if (candidates.size > 1) {
    problem(
      pointer("spec", "responder"),
      `two responders: ${[...candidates].join(" and ")}; a graph answers once`,
    );
    return undefined;
  }
  let responder = candidates.values().next().value as string | undefined;
  if (responder === undefined) {
    // Without a responder, the single terminal step of the caller's segment answers.
    // A queue step ends the caller's segment, so it counts as a terminal there.
    const terminals = [...flow.values()].filter(
      (s) =>
        segmentOf.get(s.name) === 0 && !(downstream.get(s.name) ?? []).some((d) => segmentOf.get(d) === 0),
    );
    if (terminals.length === 1) responder = terminals[0]?.name;
    else if (terminals.length > 1 && servesHttp) {
      problem(
        pointer("spec", "responder"),
        `several terminal steps (${terminals.map((s) => s.name).join(", ")}) and no responder; set spec.responder to the step that answers HTTP callers`,
      );
    }
  }
  if (responder !== undefined && (segmentOf.get(responder) ?? 0) > 0 && servesHttp) {
    problem(
      flow.get(responder)?.at ?? "",
      "the responder runs behind a queue step; it must answer before the queue",
      responder,
    );
  }
  return responder;
}
