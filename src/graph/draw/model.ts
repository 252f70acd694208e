import type { GraphDocument, GraphSpec, RouterStep, RouteStep, StepSpec } from "../document.js";

/**
 * A graph document turned, once, into what every drawing needs: boxes, router groups and
 * edges. Each format (mermaid, dot, svg) only decides how these look.
 *
 * The drawing follows the document as written, not as compiled: names that point nowhere
 * are left out rather than reported, because `sluice validate` is where problems are told.
 */

/** How a node is drawn: the event entry, the graph-level error marker, or a kind of step. */
export type NodeShape = "entry" | "marker" | "step" | "queue" | "error";

export interface DrawNode {
  /** A safe identifier (`[A-Za-z_][A-Za-z0-9_]*`), unique across nodes and groups. */
  id: string;
  /** The step or route name as the user wrote it (`fraud:v2`), or `event` / `graph`. */
  name: string;
  /** `task`, `model`, `remote`, `queue`, `error`; `on_error` for the graph marker; empty for the entry. */
  kind: string;
  /** Small print: handler or class, url, stream, routing hints. */
  details: string[];
  shape: NodeShape;
  /** The router group this node is a route of. */
  group?: string;
  /** Its output answers the caller. */
  responder: boolean;
}

/** A router step: a frame around its routes. Edges may start or end at the group itself. */
export interface DrawGroup {
  id: string;
  name: string;
  /** `router`, or `router · switch` when the type is given. */
  kind: string;
  details: string[];
  /** Node ids of the routes, in document order. */
  members: string[];
  responder: boolean;
}

/** From and to are node or group ids; dashed edges carry errors (`on_error`, `before`). */
export interface DrawEdge {
  from: string;
  to: string;
  dashed: boolean;
}

export interface DrawModel {
  /** The graph's name (metadata.name). */
  name: string;
  nodes: DrawNode[];
  groups: DrawGroup[];
  edges: DrawEdge[];
}

/** Ids of the two nodes that are not steps; step, route and group ids carry a prefix so never clash. */
export const ENTRY_ID = "event";
export const MARKER_ID = "on_error";

/** The small line under a name: the kind, and whether this answers the caller. */
export function kindLine(unit: { kind: string; responder: boolean }): string {
  return unit.responder ? [unit.kind, "responder"].filter(Boolean).join(" · ") : unit.kind;
}

/** Builds the drawing model of a graph document. */
export function buildDrawModel(doc: GraphDocument): DrawModel {
  const spec: GraphSpec = isObject(doc.spec) ? doc.spec : {};
  const ids = new IdMaker([ENTRY_ID, MARKER_ID]);
  const model: DrawModel = { name: String(doc.metadata?.name ?? "graph"), nodes: [], groups: [], edges: [] };
  model.nodes.push({ id: ENTRY_ID, name: "event", kind: "", details: [], shape: "entry", responder: false });

  // `topology: router` is a flow of one router step named after the graph (as the compiler
  // sees it); its only other steps can be error handlers.
  const steps = objectEntries<StepSpec>(spec.steps);
  const flow: [string, StepSpec][] =
    spec.topology === "router"
      ? [
          [model.name, { ...(spec.router ?? { routes: {} }), kind: "router" } as StepSpec],
          ...steps.filter(([, step]) => step.kind === "error"),
        ]
      : steps;

  const idOf = new Map<string, string>();
  const routesOf = new Map<string, [string, RouteStep][]>();
  for (const [name, step] of flow) {
    if (step.kind === "router") {
      const group = addRouter(model, ids, name, step);
      idOf.set(name, group.id);
      routesOf.set(name, group.routes);
    } else {
      idOf.set(name, addStep(model, ids, name, step));
    }
  }
  const edges = new EdgeSet(model.edges);
  for (const [name, step] of flow) {
    const id = idOf.get(name)!;
    const after = names(step.after);
    for (const upstream of after) {
      const from = idOf.get(upstream);
      if (from !== undefined) edges.add(from, id, false);
    }
    if (after.length === 0 && step.kind !== "error") edges.add(ENTRY_ID, id, false);
    const handler = idOf.get(nameOf(step.on_error));
    if (handler !== undefined) edges.add(id, handler, true);
    if (step.kind === "error") {
      for (const next of names(step.before)) {
        const to = idOf.get(next);
        if (to !== undefined) edges.add(id, to, true);
      }
    }
    // Routes may name their own handler; that edge starts at the route inside the frame.
    for (const [routeId, route] of routesOf.get(name) ?? []) {
      const routeHandler = idOf.get(nameOf(route.on_error));
      if (routeHandler !== undefined) edges.add(routeId, routeHandler, true);
    }
  }

  // The graph-level handler catches every step: one dashed edge from a marker, not one per step.
  const graphHandler = idOf.get(nameOf(spec.on_error));
  if (graphHandler !== undefined) {
    model.nodes.push({
      id: MARKER_ID,
      name: "graph",
      kind: "on_error",
      details: [],
      shape: "marker",
      responder: false,
    });
    edges.add(MARKER_ID, graphHandler, true);
  }
  markResponder(model, idOf, responderName(spec.responder, flow));
  model.name = printable(model.name);
  for (const unit of [...model.nodes, ...model.groups]) {
    unit.name = printable(unit.name);
    unit.kind = printable(unit.kind);
    unit.details = unit.details.map(printable);
  }
  return model;
}

function addStep(model: DrawModel, ids: IdMaker, name: string, step: StepSpec): string {
  const kind = String(step.kind ?? "task");
  const shape = kind === "queue" ? "queue" : kind === "error" ? "error" : "step";
  const id = ids.make("s", name);
  model.nodes.push({ id, name, kind, details: detailsOf(step), shape, responder: false });
  return id;
}

function addRouter(
  model: DrawModel,
  ids: IdMaker,
  name: string,
  router: RouterStep,
): { id: string; routes: [string, RouteStep][] } {
  const id = ids.make("g", name);
  const details: string[] = [];
  if (router.default !== undefined) details.push(`default: ${router.default}`);
  if (router.vote !== undefined) details.push(`vote: ${router.vote}`);
  const group: DrawGroup = {
    id,
    name,
    kind: router.type === undefined ? "router" : `router · ${router.type}`,
    details,
    members: [],
    responder: false,
  };
  const routes: [string, RouteStep][] = [];
  for (const [routeName, route] of objectEntries<RouteStep>(router.routes)) {
    const routeId = ids.make("r", `${name}_${routeName}`);
    const weight = router.weights?.[routeName];
    const extra = weight === undefined ? [] : [`weight ${weight}`];
    model.nodes.push({
      id: routeId,
      name: routeName,
      kind: String(route.kind ?? "task"),
      details: [...detailsOf(route), ...extra],
      shape: "step",
      group: id,
      responder: false,
    });
    group.members.push(routeId);
    routes.push([routeId, route]);
  }
  model.groups.push(group);
  return { id, routes };
}

/** The small print of a step: what code runs, where it calls, what it writes to, how it is picked. */
function detailsOf(step: StepSpec): string[] {
  const s = step as Record<string, unknown>;
  const details: string[] = [];
  for (const key of ["handler", "class", "url", "stream"]) {
    if (typeof s[key] === "string") details.push(s[key]);
  }
  if (step.kind === "queue" && s.stream === undefined) details.push("in-process");
  if (typeof s.weight === "number") details.push(`weight ${s.weight}`);
  if (typeof s.when === "string") details.push(`when ${s.when}`);
  return details;
}

/** `spec.responder`, else a step marked `responder: true`. */
function responderName(explicit: unknown, flow: [string, StepSpec][]): string | undefined {
  if (typeof explicit === "string") return explicit;
  return flow.find(([, step]) => step.responder === true)?.[0];
}

/** Marks the responder; with none named, the single terminal step answers (DESIGN.md section 2). */
function markResponder(model: DrawModel, idOf: Map<string, string>, responder: string | undefined): void {
  let id = responder === undefined ? undefined : idOf.get(responder);
  if (id === undefined && responder === undefined) {
    const flowIds = new Set(
      [...model.nodes.filter((n) => n.shape !== "error"), ...model.groups].map((u) => u.id),
    );
    const feeding = new Set(model.edges.filter((e) => !e.dashed).map((e) => e.from));
    const terminals = [...idOf.values()].filter(
      (candidate) => flowIds.has(candidate) && !feeding.has(candidate),
    );
    if (terminals.length === 1) id = terminals[0];
  }
  for (const unit of [...model.nodes, ...model.groups]) unit.responder = unit.id === id;
}

/** Edges without duplicates, in the order first added. */
class EdgeSet {
  private readonly seen = new Set<string>();
  constructor(private readonly edges: DrawEdge[]) {}
  add(from: string, to: string, dashed: boolean): void {
    const key = `${from}\n${to}\n${dashed}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.edges.push({ from, to, dashed });
  }
}

/** Readable ids from names (`fraud:v2` → `r_models_fraud_v2`), unique, and never a format keyword. */
class IdMaker {
  private readonly used: Set<string>;
  constructor(reserved: string[]) {
    this.used = new Set(reserved);
  }
  make(prefix: string, name: string): string {
    const base = `${prefix}_${name.replace(/[^A-Za-z0-9_]/g, "_")}`;
    let id = base;
    for (let n = 2; this.used.has(id); n++) id = `${base}_${n}`;
    this.used.add(id);
    return id;
  }
}

/** `after` and `before` as names; MLRun documents sometimes write a single name as a string. */
function names(value: unknown): string[] {
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/**
 * Labels are one line in every format, and XML (SVG, DOT's HTML labels) forbids most
 * control characters: newlines and tabs become spaces, the rest go, as do lone surrogates.
 */
function printable(text: string): string {
  let out = "";
  for (const c of text) {
    const code = c.codePointAt(0)!;
    if (code === 0x09 || code === 0x0a || code === 0x0d) out += " ";
    else if (code >= 0x20 && code !== 0x7f && code !== 0xfffe && code !== 0xffff && !isLoneSurrogate(code))
      out += c;
  }
  return out;
}

/** Iterating by code point yields an unpaired surrogate on its own; XML cannot hold one. */
function isLoneSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdfff;
}

/** A reference that may be missing or mistyped in an unvalidated document; `""` matches no step. */
function nameOf(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** The entries of a name → spec map whose values are objects (others, in an unvalidated document, become `{}`). */
function objectEntries<T>(value: unknown): [string, T][] {
  if (!isObject(value)) return [];
  return Object.entries(value).map(([key, spec]) => [key, (isObject(spec) ? spec : {}) as T]);
}

function isObject(value: unknown): value is object {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
