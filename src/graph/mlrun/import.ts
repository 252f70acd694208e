/**
 * MLRun import (DESIGN.md section 2): turns an exported MLRun serving function (`function.yaml`,
 * `kind: serving`) into a sluice graph document. Python classes and handlers cannot run here, so
 * a mapping file names the sluice module that replaces each one. Whatever has no faithful sluice
 * equivalent is refused with a Problem pointing into the MLRun document; whatever changes
 * meaning, or is dropped although it mattered to MLRun, is said in a note.
 */
import type {
  CodeRef,
  GraphDocument,
  GraphSpec,
  QueueStep,
  RemoteStep,
  RouterStep,
  RouterType,
  RouteStep,
  StepBase,
  StepSpec,
} from "../document.js";
import { GraphInvalidError } from "../problems.js";
import { Context, Fields, isEmpty, isRecord, ordered, type Raw, show, words } from "./fields.js";
import type { ClassMapping } from "./mapping.js";
import { type Node, Shape } from "./shape.js";

/** The imported graph, and what its user should know about how it differs from MLRun's. */
export interface MlrunImport {
  document: GraphDocument;
  notes: string[];
}

const K8S_NAME = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const STEP_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/;
const STEP_NAME_RULE = "sluice allows letters, digits, '_', '.', ':' and '-', not first '.', ':' or '-'";

/**
 * Converts a parsed MLRun serving function into a sluice graph; `file` names the MLRun document
 * in problems. Throws GraphInvalidError carrying every problem at once.
 */
export function importMlrunServing(
  raw: unknown,
  options: { file: string; mapping: ClassMapping },
): MlrunImport {
  const ctx = new Context(options.file, options.mapping);
  const fn = new Fields(ctx, isRecord(raw) ? raw : {}, []);
  if (!isRecord(raw)) fn.refuse(undefined, "an MLRun function is a map with kind, metadata and spec");
  else if (raw.kind !== "serving") {
    fn.refuse("kind", `this is an MLRun ${show(raw.kind)} function; only serving functions carry a graph`);
  }
  const metadata = importMetadata(fn.child("metadata"));
  const spec = fn.child("spec");
  ctx.defaultClass = spec.text("default_class");
  const graph = spec.child("graph");
  const kind = graph.raw.kind;
  let graphSpec: GraphSpec = {};
  if (!isRecord(spec.raw.graph))
    spec.refuse("graph", "the function has no graph (set_topology was never called)");
  else if (kind === "router") graphSpec = importRouterTopology(graph);
  else if (kind === undefined || kind === "root" || kind === "flow") graphSpec = importFlow(graph);
  else graph.refuse("kind", `the root of a graph is a flow or a router, not ${show(kind)}`);
  noteFunctionSpec(spec);
  if (ctx.problems.length > 0) throw new GraphInvalidError(ctx.problems);
  return {
    document: { apiVersion: "sluice/v1", kind: "Graph", metadata, spec: graphSpec },
    notes: ctx.notes,
  };
}

function importMetadata(metadata: Fields): GraphDocument["metadata"] {
  const name = metadata.text("name");
  if (name === undefined) metadata.refuse("name", "the function has no name");
  else if (!K8S_NAME.test(name))
    metadata.refuse("name", `"${name}" is not a Kubernetes-style name (lowercase letters, digits, '-')`);
  const labels: Record<string, string> = {};
  const raw = metadata.child("labels");
  for (const [key, value] of Object.entries(raw.raw)) {
    if (["string", "number", "boolean"].includes(typeof value)) labels[key] = String(value);
    else if (value !== null) raw.refuse(key, `a label must be a string, not ${show(value)}`);
  }
  // tag, hash, project and categories identify the function in MLRun's database, not the graph.
  return { name: name ?? "", ...(Object.keys(labels).length > 0 ? { labels } : {}) };
}

/** Function fields about the container and its scaling: not the graph's business. */
const DEPLOYMENT_FIELDS = words(
  "image build env resources volumes volume_mounts replicas min_replicas max_replicas node_selector " +
    "tolerations affinity priority_class_name service_account image_pull_secret config",
);

/** Function-level fields that mattered to MLRun and have no place in a sluice graph. */
function noteFunctionSpec(spec: Fields): void {
  const { raw } = spec;
  if (raw.track_models === true) {
    spec.note(
      "spec.track_models: MLRun's model monitoring is not carried over (sluice has metrics at /metrics)",
    );
  }
  if (isRecord(raw.parameters) && !isEmpty(raw.parameters)) {
    const keys = Object.keys(raw.parameters).join(", ");
    spec.note(`spec.parameters (${keys}) are not carried over: sluice steps get their settings as args`);
  }
  if (!isEmpty(raw.function_refs)) {
    spec.note("spec.function_refs ignored: sluice deploys one function per `function` group of steps");
  }
  if (!isEmpty(raw.error_stream)) {
    spec.note(`spec.error_stream ${show(raw.error_stream)} ignored: use an error step, or a trigger's dlq`);
  }
  if (!isEmpty(raw.load_mode)) {
    spec.note(
      `spec.load_mode ${show(raw.load_mode)} ignored: a sluice model is ready once its load() resolves`,
    );
  }
  const deployment = DEPLOYMENT_FIELDS.filter((k) => !isEmpty(raw[k])).map((k) => `spec.${k}`);
  if (deployment.length > 0) {
    spec.note(`${deployment.join(", ")} describe MLRun's container, not the graph: not carried over`);
  }
}

// ---------------------------------------------------------------------------------------------
// Steps

/** Cosmetic fields, and bookkeeping that MLRun derives again or that only its monitoring reads. */
const SILENT = words(
  "kind name shape comment skip_context base_step model_endpoint_creation_strategy endpoint_type",
);
const TASK_FIELDS = words(
  "class_name class_args handler after function full_event on_error responder input_path result_path",
);
const KNOWN_FIELDS: Record<string, string[]> = {
  task: TASK_FIELDS,
  router: [...TASK_FIELDS, "routes"],
  error_step: [...TASK_FIELDS, "before"],
  queue: words("after on_error path shards retention_in_hours trigger_args options"),
};
const REMOTE_CLASSES = new Set(["$remote", "mlrun.serving.remote.RemoteStep", "mlrun.serving.RemoteStep"]);
const ROUTER_TYPES = new Map<string, RouterType>([
  ["ModelRouter", "model"],
  ["VotingEnsemble", "ensemble"],
  ["ParallelRun", "parallel"],
]);

/** Notes the fields MLRun set that have no sluice equivalent. */
function noteUnknownFields(f: Fields, kind: string, what: string): void {
  const unknown = f.others([...SILENT, ...(KNOWN_FIELDS[kind] ?? []), "cycle_from", "max_iterations"]);
  if (unknown.length > 0) f.note(`${what}: ${unknown.join(", ")} ignored (no sluice equivalent)`);
}

type Common = Omit<StepBase, "kind" | "after">;

/** input_path, result_path, full_event, on_error, function: the same meaning in both systems. */
function importCommon(f: Fields): Common {
  const out: Common = {};
  const [inputPath, resultPath, onError, fn] = ["input_path", "result_path", "on_error", "function"].map(
    (k) => f.text(k),
  );
  if (inputPath !== undefined) out.input_path = inputPath;
  if (resultPath !== undefined) out.result_path = resultPath;
  if (f.flag("full_event")) out.full_event = true;
  if (onError !== undefined) out.on_error = onError;
  if (fn !== undefined) out.function = fn;
  return out;
}

function missing(kind: "class" | "handler", name: string, mapping: ClassMapping): string {
  const where = mapping.file === undefined ? "no mapping file was given" : `it is not in ${mapping.file}`;
  const section = kind === "class" ? "classes" : "handlers";
  return `${kind} "${name}" has no sluice equivalent: ${where}; map it under ${section}, e.g. "${name}": ./steps.mjs#${name.split(".").pop()}`;
}

/** What a task-like step runs: a mapped class or handler, or MLRun's RemoteStep as a remote step. */
function importCode(f: Fields, route = false): CodeRef | RemoteStep | undefined {
  const handler = f.text("handler");
  const className = f.text("class_name") ?? (route && handler === undefined ? f.ctx.defaultClass : undefined);
  const args = f.child("class_args");
  if (className !== undefined) {
    const ref = f.ctx.mapping.classes.get(className);
    if (ref === undefined && REMOTE_CLASSES.has(className)) return importRemote(args);
    if (ref === undefined) return f.refuse("class_name", missing("class", className, f.ctx.mapping));
    if (handler !== undefined && handler !== "do") {
      f.note(`step "${f.step}": MLRun called ${className}.${handler}(); sluice calls do() of ${ref}`);
    }
    return { class: ref, ...(isEmpty(args.raw) ? {} : { args: args.raw }) };
  }
  if (handler === undefined) return f.refuse(undefined, "the step has neither class_name nor handler");
  const ref = f.ctx.mapping.handlers.get(handler);
  if (ref === undefined) return f.refuse("handler", missing("handler", handler, f.ctx.mapping));
  if (!isEmpty(args.raw)) f.note(`step "${f.step}": class_args ignored (a handler takes none)`);
  return { handler: ref };
}

/** MLRun's RemoteStep is sluice's `kind: remote`, when its URL is fixed. */
function importRemote(args: Fields): RemoteStep | undefined {
  const url = args.text("url");
  for (const key of ["subpath", "url_expression", "body_expression"]) {
    if (!isEmpty(args.raw[key]))
      args.refuse(key, `${key} builds each request; a sluice remote step calls a fixed url`);
  }
  if (url === undefined) return args.refuse("url", "RemoteStep has no url");
  if (!/^https?:\/\//.test(url))
    return args.refuse("url", `"${url}" names an MLRun function; sluice calls URLs`);
  const out: RemoteStep = { kind: "remote", url, ...importCommon(args) };
  const { method, headers, retries, timeout } = args.raw;
  if (typeof method === "string" && method !== "") out.method = method.toUpperCase();
  if (isRecord(headers))
    out.headers = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)]));
  if (typeof retries === "number" && Number.isInteger(retries) && retries >= 0) out.retries = retries;
  // MLRun's timeout is in seconds; sluice reads a bare number as milliseconds.
  if (typeof timeout === "number" && timeout > 0) out.timeout = Math.round(timeout * 1000);
  const ignored = args.others(words("url method headers retries timeout input_path result_path full_event"));
  if (ignored.length > 0) args.note(`step "${args.step}": RemoteStep ${ignored.join(", ")} ignored`);
  return out;
}

function importRoute(f: Fields): RouteStep | undefined {
  if ((f.raw.kind ?? "task") !== "task") {
    return f.refuse(
      "kind",
      `a route of kind ${show(f.raw.kind)} has no sluice equivalent: a route is a model, a task or a remote call`,
    );
  }
  noteUnknownFields(f, "task", `route "${f.step}"`);
  const code = importCode(f, true);
  if (code === undefined) return undefined;
  if ("kind" in code) return { ...importCommon(f), ...code };
  // A route that runs a class serves a model (V2ModelServer and its kin); a handler is a plain task.
  return { ...(code.class ? { kind: "model" as const } : {}), ...importCommon(f), ...code };
}

type RouterBody = Omit<RouterStep, "kind" | "after">;

/** A router's class, class_args and routes; `f.step` is undefined when the router is the graph. */
function importRouter(f: Fields): RouterBody | undefined {
  const label = f.step === undefined ? "the router" : `router "${f.step}"`;
  const className = f.text("class_name");
  const type = className ? ROUTER_TYPES.get(className.replace(/^mlrun\.serving\.(routers\.)?/, "")) : "model";
  if (type === undefined) {
    const known = [...ROUTER_TYPES].map(([c, t]) => `${c} (${t})`).join(", ");
    f.refuse("class_name", `router class "${className}" has no sluice router type; sluice maps ${known}`);
  }
  const routes: Record<string, RouteStep> = {};
  const rawRoutes = f.child("routes");
  let complete = true;
  if (Object.keys(rawRoutes.raw).length === 0) complete = !f.refuse("routes", "the router has no routes");
  for (const [name, route] of Object.entries(rawRoutes.raw)) {
    // child() refuses a route that is not a map.
    const r = rawRoutes.child(name, f.step === undefined ? name : `${f.step}/${name}`);
    if (!STEP_NAME.test(name)) r.refuse(undefined, `"${name}" cannot be a route name: ${STEP_NAME_RULE}`);
    const converted = isRecord(route) ? importRoute(r) : undefined;
    if (converted === undefined) complete = false;
    else routes[name] = converted;
  }
  const args = f.child("class_args");
  const out: RouterBody = { type, routes };
  const used = ["routes", "name"];
  if (type === "model") {
    f.note(`${label}: MLRun sent requests naming no model to the first route; sluice answers 404 instead`);
  } else if (type === "ensemble") {
    used.push("vote_type", "weights");
    const vote = args.text("vote_type");
    if (vote === "classification" || vote === "regression") out.vote = vote;
    else if (vote !== undefined)
      args.refuse("vote_type", `must be classification or regression, not "${vote}"`);
    else
      f.note(
        `${label}: MLRun guessed vote_type from the predictions; set \`vote\` if sluice's default differs`,
      );
    const weights = args.child("weights");
    if (!isEmpty(weights.raw)) out.weights = importWeights(weights, routes);
  }
  const ignored = args.others(used);
  if (ignored.length > 0) f.note(`${label}: class_args ${ignored.join(", ")} ignored (no sluice equivalent)`);
  return type !== undefined && complete ? out : undefined;
}

function importWeights(weights: Fields, routes: Raw): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, weight] of Object.entries(weights.raw)) {
    if (typeof weight !== "number" || weight < 0)
      weights.refuse(name, `must be a number ≥ 0, not ${show(weight)}`);
    else if (!Object.hasOwn(routes, name)) weights.refuse(name, `"${name}" is not a route of this router`);
    else out[name] = weight;
  }
  return out;
}

/** A queue is a stream boundary; only Kafka topics exist on both sides. */
function importQueue(f: Fields): QueueStep | undefined {
  const out: QueueStep = { kind: "queue" };
  const path = f.text("path");
  const options = f.child("options");
  // Without a path MLRun passes the event on in-process, as a sluice queue without a stream does.
  if (path !== undefined) {
    const stream = kafkaStream(f, path, options.raw.kafka_brokers ?? options.raw.kafka_bootstrap_servers);
    if (stream === undefined) return undefined;
    out.stream = stream;
  }
  for (const key of ["shards", "retention_in_hours", "trigger_args"]) {
    if (!isEmpty(f.raw[key]))
      f.note(`queue "${f.step}": ${key} ignored (sluice neither creates nor tunes topics)`);
  }
  // full_event only says how MLRun wraps the event on the wire.
  const ignored = options.others(["kafka_brokers", "kafka_bootstrap_servers", "full_event"]);
  if (ignored.length > 0) f.note(`queue "${f.step}": options ${ignored.join(", ")} ignored`);
  const onError = f.text("on_error");
  return onError === undefined ? out : { ...out, on_error: onError };
}

/** `kafka://broker:9092/topic` (or `?topic=`) → `kafka://topic`, with a note naming the broker. */
function kafkaStream(f: Fields, path: string, optionBrokers: unknown): string | undefined {
  const scheme = /^([a-z][\w+.-]*):\/\//i.exec(path)?.[1]?.toLowerCase();
  const hint = "sluice queues are Kafka topics: write kafka://<broker>/<topic>";
  // MLRun takes a path without a scheme for a v3io stream, unless the options name Kafka brokers.
  if (scheme === "v3io" || (scheme === undefined && optionBrokers === undefined)) {
    return f.refuse("path", `"${path}" is a v3io stream, which exists only on Iguazio's platform; ${hint}`);
  }
  if (scheme !== undefined && scheme !== "kafka")
    return f.refuse("path", `"${path}" is no stream for sluice; ${hint}`);
  const href = scheme ? path : `kafka:///${path}`;
  const url = URL.canParse(href) ? new URL(href) : undefined;
  const topic =
    url && (url.searchParams.get("topic") ?? decodeURIComponent(url.pathname.replace(/^\/+/, "")));
  if (!url || !topic) return f.refuse("path", `"${path}" names no topic; ${hint}`);
  const brokers = [url.host, optionBrokers].flat().filter((b) => typeof b === "string" && b !== "");
  const from = brokers.length > 0 ? `broker ${brokers.join(",")}` : "the default broker";
  f.note(
    `queue "${f.step}": MLRun used ${from}; the sluice graph names only the topic: configure the broker`,
  );
  return `kafka://${topic}`;
}

// ---------------------------------------------------------------------------------------------
// Topologies

function importRouterTopology(graph: Fields): GraphSpec {
  // MLRun cannot attach an error step to a root router: there is no flow to hold it.
  if (!isEmpty(graph.raw.on_error)) graph.refuse("on_error", "a router topology has no error step to run");
  noteUnknownFields(graph, "router", "spec.graph");
  const router = importRouter(graph);
  const { on_error: _, ...common } = importCommon(graph);
  return router ? { topology: "router", router: ordered({ ...common, ...router }) } : {};
}

function importFlow(graph: Fields): GraphSpec {
  const engine = graph.text("engine") ?? "async";
  if (engine !== "async" && engine !== "sync")
    graph.refuse("engine", `must be sync or async, not "${engine}"`);
  if (!isEmpty(graph.raw.final_step)) {
    graph.note("spec.graph.final_step ignored: sluice answers with the responder, or the only terminal step");
  }
  const ignored = graph.others(["kind", "steps", "engine", "on_error", "final_step"]);
  if (ignored.length > 0) graph.note(`spec.graph: ${ignored.join(", ")} ignored (no sluice equivalent)`);
  const nodes = new Map<string, Node>();
  const steps = new Map<string, StepSpec>();
  const rawSteps = graph.child("steps");
  for (const [name, raw] of Object.entries(rawSteps.raw)) {
    const f = rawSteps.child(name, name);
    if (!STEP_NAME.test(name)) f.refuse(undefined, `"${name}" cannot be a step name: ${STEP_NAME_RULE}`);
    if (!isRecord(raw)) continue;
    const kind = typeof raw.kind === "string" ? raw.kind : "task";
    const error = kind === "error_step";
    const responder = !error && f.flag("responder") === true;
    nodes.set(name, {
      kind,
      after: f.names("after"),
      before: error ? f.names("before") : [],
      onError: f.text("on_error"),
      responder,
    });
    if (!isEmpty(raw.cycle_from))
      f.refuse("cycle_from", "sluice graphs are acyclic: cycle_to has no equivalent");
    const step = importStep(f, kind);
    if (step !== undefined) steps.set(name, step);
  }
  if (nodes.size === 0) graph.refuse("steps", "the graph has no steps");
  const onError = graph.text("on_error");
  const shape = new Shape(graph, nodes, onError);
  if (graph.ctx.problems.length > 0) return {};
  const out: GraphSpec = { topology: "flow", steps: shape.expand(steps) };
  if (shape.responder !== undefined) out.responder = shape.responder;
  return onError === undefined ? out : { ...out, on_error: onError };
}

function importStep(f: Fields, kind: string): StepSpec | undefined {
  if (KNOWN_FIELDS[kind] === undefined) {
    const why =
      kind === "flow"
        ? "nested flows have no sluice equivalent"
        : "sluice maps task, router, queue, error_step";
    return f.refuse("kind", `step kind "${kind}": ${why}`);
  }
  noteUnknownFields(f, kind, `step "${f.step}"`);
  if (kind === "queue") return importQueue(f);
  if (kind === "router") {
    const router = importRouter(f);
    return router && { kind: "router", ...importCommon(f), ...router };
  }
  const code = importCode(f);
  if (code === undefined) return undefined;
  if ("kind" in code) {
    return kind === "task"
      ? { ...importCommon(f), ...code }
      : f.refuse("class_name", "an error step cannot call out");
  }
  return { ...(kind === "error_step" ? { kind: "error" as const } : {}), ...importCommon(f), ...code };
}
