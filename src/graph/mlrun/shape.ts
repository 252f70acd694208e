import type { StepSpec } from "../document.js";
import { Fields, ordered } from "./fields.js";

/** What the flow's shape needs to know of a step, whether or not the step converts. */
export interface Node {
  kind: string;
  after: string[];
  before: string[];
  onError: string | undefined;
  responder: boolean;
}

/**
 * The flow's shape: references, cycles, the sync engine's single chain, and MLRun's
 * once-per-upstream runs, which sluice reproduces by copying a step per upstream.
 */
export class Shape {
  readonly responder: string | undefined;
  /** Step → the upstreams it is copied for, and the copied region it belongs to. */
  private readonly copies = new Map<string, { join: string; upstreams: string[]; region: Set<string> }>();

  constructor(
    private readonly graph: Fields,
    private readonly nodes: Map<string, Node>,
    onError: string | undefined,
  ) {
    this.normaliseErrorEdges();
    for (const [name, node] of nodes) {
      for (const field of ["after", "before"] as const) {
        const list = this.step(name, field);
        node[field].forEach((other, i) => {
          if (!nodes.has(other)) list.refuse(i, `"${other}" is not a step of this graph`);
        });
      }
      if (node.onError !== undefined) this.checkErrorStep(this.step(name), "on_error", node.onError);
    }
    if (onError !== undefined) this.checkErrorStep(graph, "on_error", onError);
    const responders = [...nodes].filter(([, n]) => n.responder).map(([name]) => name);
    this.responder = responders[0];
    if (responders.length > 1) {
      this.step(responders[1] ?? "").refuse(
        "responder",
        `only one step responds; ${responders.join(", ")} all do`,
      );
    }
    if (graph.ctx.problems.length > 0 || this.hasCycle()) return;
    if (graph.raw.engine === "sync") this.checkSingleChain();
    else {
      for (const [name, node] of nodes)
        if (node.after.length > 1 && node.kind !== "error_step") this.planCopies(name);
      if (this.responder === undefined) {
        graph.note(
          'no step responds: MLRun\'s async engine answered {"id": ...} at once and went on in the background; ' +
            "sluice answers with the only terminal step's output (with several, HTTP needs a responder)",
        );
      }
    }
  }

  /** Where a step (or one of its fields) lies, to refuse things at. */
  private step(name: string, ...field: string[]): Fields {
    return new Fields(this.graph.ctx, {}, [...this.graph.path, "steps", name, ...field], name);
  }

  private refuseAt(name: string, field: string, message: string): void {
    this.step(name).refuse(field, message);
  }

  /** Once deployed, MLRun lists an error step in the `after` of its `before` steps; sluice needs only `before`. */
  private normaliseErrorEdges(): void {
    for (const [name, node] of this.nodes) {
      for (const up of node.after) {
        const upstream = this.nodes.get(up);
        if (upstream?.kind === "error_step" && !upstream.before.includes(name)) upstream.before.push(name);
      }
      node.after = node.after.filter((up) => this.nodes.get(up)?.kind !== "error_step");
    }
  }

  private checkErrorStep(f: Fields, field: string, name: string): void {
    const kind = this.nodes.get(name)?.kind;
    if (kind === undefined) f.refuse(field, `"${name}" is not a step of this graph`);
    else if (kind !== "error_step") f.refuse(field, `"${name}" is a ${kind} step, not an error_step`);
  }

  private children(name: string): string[] {
    return [...this.nodes].filter(([, n]) => n.after.includes(name)).map(([child]) => child);
  }

  private hasCycle(): boolean {
    const state = new Map<string, "open" | "done">();
    const visit = (name: string): string | undefined => {
      if (state.get(name) !== undefined) return state.get(name) === "open" ? name : undefined;
      state.set(name, "open");
      const found = this.nodes
        .get(name)
        ?.after.map(visit)
        .find((n) => n !== undefined);
      state.set(name, "done");
      return found;
    };
    const found = [...this.nodes.keys()].map(visit).find((n) => n !== undefined);
    if (found !== undefined)
      this.refuseAt(found, "after", `"${found}" is its own upstream; a graph must be acyclic`);
    return found !== undefined;
  }

  /** MLRun's sync engine walks one chain and fails at a branch, so such a graph never ran. */
  private checkSingleChain(): void {
    const starts = [...this.nodes].filter(([, n]) => n.kind !== "error_step" && n.after.length === 0);
    const fork = [...this.nodes.keys()].find((name) => this.children(name).length > 1);
    const why =
      starts.length > 1
        ? `${starts.map(([name]) => name).join(", ")} all start it`
        : fork && `"${fork}" branches to ${this.children(fork).join(", ")}`;
    if (why) this.graph.refuse("engine", `engine sync runs one chain of steps, but ${why}; use engine async`);
  }

  /**
   * `join` has several upstreams: MLRun runs it once per upstream, sluice would run it once for
   * all. Copy it, and everything below it, per upstream; refuse what cannot be copied faithfully.
   */
  private planCopies(join: string): void {
    const upstreams = this.nodes.get(join)?.after ?? [];
    const region = new Set([join]);
    // A Set's iteration visits what is added during it: this walks everything below `join`.
    for (const name of region) for (const child of this.children(name)) region.add(child);
    const problems = this.graph.ctx.problems.length;
    const refuse = (name: string, field: string, why: string) =>
      this.refuseAt(
        name,
        field,
        `"${join}" runs once per upstream (${upstreams.join(", ")}) in MLRun; sluice would copy it per upstream, ` +
          `but ${why}. Make "${join}" a join by hand if one run over all upstreams is what you meant`,
      );
    const beforeTargets = new Set([...this.nodes.values()].flatMap((n) => n.before));
    for (const name of region) {
      const node = this.nodes.get(name);
      const what = name === join ? "it" : `"${name}" below it`;
      if (node?.responder) refuse(name, "responder", `${what} is the responder, and a graph answers once`);
      else if (node?.kind === "queue")
        refuse(name, "path", `${what} is a queue, whose stream copies would share`);
      else if (node?.kind === "error_step")
        refuse(name, "after", `${what} is an error step, which on_error names once`);
      else if (beforeTargets.has(name))
        refuse(name, "after", `an error step continues into ${what}, not into copies`);
      else if (name !== join && (node?.after.length ?? 0) > 1)
        refuse(name, "after", `${what} has other upstreams`);
      const clash = upstreams.find((up) => this.nodes.has(`${name}.${up}`));
      if (clash !== undefined) refuse(name, "after", `a step "${name}.${clash}" exists already`);
    }
    if (this.graph.ctx.problems.length > problems) return;
    for (const name of region) this.copies.set(name, { join, upstreams, region });
    const copied = [...region]
      .map((n) => `${n} → ${upstreams.map((up) => `${n}.${up}`).join(", ")}`)
      .join("; ");
    this.graph.note(
      `"${join}" has upstreams ${upstreams.join(", ")}: MLRun's async engine runs it once per upstream where sluice ` +
        `would join them, so it was copied per upstream (${copied}). For one run over all of them, make it a join`,
    );
  }

  /** The converted steps with their edges, copies in place of the steps they copy. */
  expand(steps: Map<string, StepSpec>): Record<string, StepSpec> {
    const out: Record<string, StepSpec> = {};
    for (const [name, step] of steps) {
      const { after = [], before = [] } = this.nodes.get(name) ?? {};
      const edges = { ...(after.length > 0 ? { after } : {}), ...(before.length > 0 ? { before } : {}) };
      const copy = this.copies.get(name);
      if (copy === undefined) out[name] = ordered({ ...step, ...edges });
      for (const up of copy?.upstreams ?? []) {
        const upstreams =
          name === copy?.join ? [up] : after.map((a) => (copy?.region.has(a) ? `${a}.${up}` : a));
        out[`${name}.${up}`] = ordered({ ...structuredClone(step), ...edges, after: upstreams });
      }
    }
    return out;
  }
}
