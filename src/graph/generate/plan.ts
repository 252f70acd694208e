import { SluiceError } from "../../errors.js";
import type { ModelRunner } from "../build/index.js";
import type { CompiledGraph } from "../compiled-graph.js";
import type { RouterStep } from "../document.js";
import type { ExecNode } from "../executor.js";
import type { PlannedStep } from "../topology.js";

/**
 * How a generate request goes through a model's graph: the steps before the model
 * pre-process the request, the model generates, and the steps after it, up to the responder,
 * run on each chunk. The graph must be a chain around the model for that to mean anything.
 */
export interface GeneratePlan {
  model: ModelRunner;
  /** The steps before the model, in order: each one's output is the next one's input. */
  pre: readonly Pick<ExecNode, "name" | "run">[];
  /** The steps after the model, in order, run on every chunk. */
  post: readonly Pick<ExecNode, "name" | "run">[];
}

const plans = new WeakMap<ModelRunner, GeneratePlan>();

/**
 * The plan of a model in its graph, worked out once. A graph that is not one chain of steps
 * through the model (a branch, a join, a queue, a responder before the model) cannot stream
 * chunks through its steps: that is said, with the step at fault.
 */
export function generatePlan(graph: CompiledGraph, model: ModelRunner): GeneratePlan {
  let plan = plans.get(model);
  if (!plan) {
    plan = planOf(graph, model);
    plans.set(model, plan);
  }
  return plan;
}

function planOf(graph: CompiledGraph, model: ModelRunner): GeneratePlan {
  const { order, downstream, responder } = graph.topology;
  const refuse = (why: string) =>
    new SluiceError(
      "SLUICE_ERR_GRAPH_INVALID",
      `model "${model.key}" cannot generate through graph "${graph.name}": ${why}; generate runs a graph that is one chain of steps through the model`,
      { status: 501 },
    );
  const at = order.findIndex((step) => holds(step, model.key));
  if (at < 0) throw refuse("no step of the graph holds it");
  order.forEach((step, i) => {
    if (step.after.length > 1) throw refuse(`step "${step.name}" joins ${step.after.join(", ")}`);
    const next = downstream.get(step.name) ?? [];
    if (next.length > 1) throw refuse(`step "${step.name}" branches to ${next.join(", ")}`);
    if (step.kind === "queue") throw refuse(`step "${step.name}" is a queue`);
    if (i > 0 && step.after[0] !== order[i - 1]?.name)
      throw refuse(`step "${step.name}" starts a second chain`);
  });
  const last = responder === undefined ? order.length - 1 : order.findIndex((s) => s.name === responder);
  if (last < at) throw refuse(`its responder "${responder}" comes before the model`);
  // Nodes are the flow steps in topological order: a step's node is at its index there.
  const { nodes } = graph.executor;
  return { model, pre: nodes.slice(0, at), post: nodes.slice(at + 1, last + 1) };
}

/** A model step of that key, or a router with a route of that key. */
function holds(step: PlannedStep, key: string): boolean {
  if (step.kind === "model") return step.name === key;
  if (step.kind !== "router") return false;
  return Object.hasOwn((step.spec as RouterStep).routes ?? {}, key);
}
