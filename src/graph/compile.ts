import { performance } from "node:perf_hooks";
import pino from "pino";
import {
  type BuildEnv,
  buildHandler,
  buildStep,
  InProcessQueue,
  isThenable,
  type ModelRunner,
  type StepRuntime,
} from "./build/index.js";
import { CompiledGraph } from "./compiled-graph.js";
import type { GraphEvent, Logger } from "./contract.js";
import type { GraphDocument, QueueStep } from "./document.js";
import { type ExecHandler, type ExecNode, Executor, type Runner } from "./executor.js";
import type { MonitoringSinkFactory } from "./monitoring/index.js";
import { planPassThrough } from "./pass-through.js";
import { GraphInvalidError, stepOfPointer } from "./problems.js";
import { type BreakerObserver, guardStep, RemoteTargets, remoteTargetsKey } from "./resilience/index.js";
import { planTopology } from "./topology.js";

export interface CompileOptions {
  /** The file the document came from: module paths resolve relative to it. */
  file: string;
  /** Maps a JSON pointer to its line, for problems (YAML documents). */
  lineOf?: (pointer: string) => number | undefined;
  logger?: Logger;
  /** Called once per step at compile time; the recorder it returns is told each run's outcome. */
  observeStep?: StepObserver;
  /** Called once per remote target; the listener it returns is told the breaker's states. */
  observeBreaker?: BreakerObserver;
  /**
   * Where queue steps write when a broker is configured (`kafka://`, `nats://`); a queue step
   * it has no writer for keeps the in-process queue.
   */
  queueWriter?: QueueWriterFactory;
  /**
   * Folders step modules may be loaded from, besides the graph file's own folder tree
   * (default: the working directory). A module outside all of them is refused.
   */
  moduleRoots?: readonly string[];
  /**
   * Where models with `monitoring` write their records (`sluice serve` gives it); without it,
   * monitoring settings are checked but nothing is recorded.
   */
  monitoringSink?: MonitoringSinkFactory;
}

/** Writes one event to a queue step's stream; resolves once the broker has it. */
export type QueueWriter = (body: unknown, event: GraphEvent) => Promise<void>;
export type QueueWriterFactory = (
  stream: string,
  graph: GraphDocument,
  step: string,
) => QueueWriter | undefined;

/** Metrics hook: a recorder per step, bound at compile time so nothing is looked up per event. */
export type StepObserver = (graph: string, step: string) => (seconds: number, ok: boolean) => void;

/** Logs go to stderr, so stdout stays the command's output. */
export function defaultLogger(): Logger {
  return pino({ level: process.env.SLUICE_LOG_LEVEL ?? "info" }, pino.destination(2));
}

/**
 * Turns a schema-valid document into a CompiledGraph: checks references, cycles, joins and
 * the responder, loads step code, builds routers and models, and decides every index the
 * executor needs. All problems are reported together in one GraphInvalidError.
 */
export async function compileDocument(doc: GraphDocument, options: CompileOptions): Promise<CompiledGraph> {
  const logger = options.logger ?? defaultLogger();
  const graph = doc.metadata.name;
  const remotes = new RemoteTargets(graph, options.observeBreaker);
  const { topology, problems } = planTopology(doc, options.file);
  const passThrough = planPassThrough(topology);
  const env: BuildEnv = {
    file: options.file,
    graph,
    logger,
    problems: [],
    remotes,
    moduleRoots: options.moduleRoots ?? [process.cwd()],
    passThrough,
    ...monitoringEnv(doc, options.monitoringSink),
  };
  env.problems.push(...problems);

  const runtimes = new Map<string, StepRuntime>();
  const handlerRuntimes = new Map<string, Awaited<ReturnType<typeof buildHandler>>>();
  // A fallback names an error-kind step, built after the flow steps: looked up when it runs.
  const fallbackSteps = {
    handler: (name: string) =>
      topology.handlers.has(name)
        ? (...args: Parameters<ExecHandler["run"]>) => handlerRuntimes.get(name)?.run(...args)
        : undefined,
    isFlowStep: (name: string) => topology.order.some((s) => s.name === name),
  };
  const brokerQueues = new Map<string, string>();
  for (const step of topology.order) {
    const runtime = await buildStep(step, env);
    if (!runtime) continue;
    const record = options.observeStep?.(doc.metadata.name, step.name);
    let run = guardStep(runtime.run, step.spec, step.at, step.name, env, fallbackSteps);
    const writer =
      step.kind === "queue" ? brokerWriter(step.spec as QueueStep, doc, step.name, options) : undefined;
    if (writer) {
      // The event is handed on only once the broker holds it: at least once across the queue.
      run = (input, event) => writer(input, event).then(() => input);
      brokerQueues.set(step.name, (step.spec as QueueStep).stream as string);
    }
    runtimes.set(step.name, { ...runtime, run: record ? withRecorder(run, record) : run });
  }
  for (const handler of topology.handlers.values())
    handlerRuntimes.set(handler.name, await buildHandler(handler, env));
  if (doc.spec.monitoring && ![...runtimes.values()].some((r) => r.models.length > 0)) {
    env.problems.push({
      file: options.file,
      pointer: "/spec/monitoring",
      message: "the graph serves no model to monitor (monitoring records model calls)",
    });
  }

  if (env.problems.length > 0) {
    throw new GraphInvalidError(
      env.problems.map((p) => ({
        ...p,
        step: p.step ?? stepOfPointer(p.pointer),
        line: p.line ?? options.lineOf?.(p.pointer),
      })),
    );
  }

  // Keyed by `string | undefined` so that an absent responder or handler looks up as -1 below.
  const index = new Map<string | undefined, number>(topology.order.map((s, i) => [s.name, i]));
  const handlerIndex = new Map<string | undefined, number>(
    [...topology.handlers.keys()].map((name, i) => [name, i]),
  );
  const queues: InProcessQueue[] = [];
  let executor: Executor | undefined;

  const nodes: ExecNode[] = topology.order.map((step) => {
    const segment = topology.segmentOf.get(step.name);
    const downstream = topology.downstream.get(step.name) ?? [];
    const onError = step.spec.on_error ?? topology.graphOnError;
    let queue: ExecNode["queue"];
    if (step.kind === "queue" && !brokerQueues.has(step.name)) {
      // Without a broker, the steps behind a queue run from an in-process queue.
      const inProcess = new InProcessQueue(step.name, logger);
      queues.push(inProcess);
      const entries = downstream.map((d) => index.get(d) as number);
      // Nobody waits behind a queue: the caller's deadline stays with the caller.
      queue = (output: unknown, event: GraphEvent) =>
        inProcess.push(() =>
          (executor as Executor).runSegment(entries, output, { ...event, body: output, deadline: undefined }),
        );
    }
    return {
      name: step.name,
      run: (runtimes.get(step.name) as StepRuntime).run,
      next: downstream
        .filter((d) => topology.segmentOf.get(d) === segment)
        .map((d) => index.get(d) as number),
      upstream: step.after.map((u) => index.get(u) as number),
      joinNames: step.after.length > 1 ? step.after : undefined,
      onError: handlerIndex.get(onError) ?? -1,
      queue,
    };
  });
  const handlers: ExecHandler[] = [...topology.handlers.values()].map((h) => ({
    name: h.name,
    run: (handlerRuntimes.get(h.name) as NonNullable<Awaited<ReturnType<typeof buildHandler>>>).run,
    before: ((h.spec as { before?: string[] }).before ?? []).map((b) => index.get(b) as number),
  }));
  const roots = topology.order.filter((s) => s.after.length === 0).map((s) => index.get(s.name) as number);
  const responder = index.get(topology.responder) ?? -1;
  executor = new Executor(nodes, handlers, roots, responder);

  const lifecycles = new Map<string, { init(): Promise<void>; close(): Promise<void> }>(runtimes);
  for (const [name, runtime] of handlerRuntimes) if (runtime) lifecycles.set(name, runtime);
  // Closed last, after every step: their pools and breakers outlive the steps' own close().
  lifecycles.set(remoteTargetsKey, remotes);
  const models: ModelRunner[] = [...runtimes.values()].flatMap((r) => r.models);
  // Where the steps behind each queue step start: a broker's consumer runs them from there.
  const segments = new Map(
    topology.order
      .filter((s) => s.kind === "queue")
      .map(
        (s) => [s.name, (topology.downstream.get(s.name) ?? []).map((d) => index.get(d) as number)] as const,
      ),
  );
  return new CompiledGraph(
    doc,
    options.file,
    topology,
    executor,
    lifecycles,
    queues,
    models,
    logger,
    { segments, brokerQueues },
    passThrough.request,
  );
}

/** Times a step and tells the recorder whether it succeeded; async steps are timed to settlement. */
function withRecorder(run: Runner, record: (seconds: number, ok: boolean) => void): Runner {
  return (input, event) => {
    const started = performance.now();
    let result: unknown;
    try {
      result = run(input, event);
    } catch (error) {
      record((performance.now() - started) / 1000, false);
      throw error;
    }
    if (isThenable(result)) {
      return result.then(
        (value) => {
          record((performance.now() - started) / 1000, true);
          return value;
        },
        (error: unknown) => {
          record((performance.now() - started) / 1000, false);
          throw error;
        },
      );
    }
    record((performance.now() - started) / 1000, true);
    return result;
  };
}

function brokerWriter(
  spec: QueueStep,
  doc: GraphDocument,
  step: string,
  options: CompileOptions,
): QueueWriter | undefined {
  return spec.stream === undefined ? undefined : options.queueWriter?.(spec.stream, doc, step);
}

/** The models' monitoring streams, when `sluice serve` writes them. */
function monitoringEnv(
  doc: GraphDocument,
  sinks: MonitoringSinkFactory | undefined,
): Pick<BuildEnv, "monitoring"> {
  if (!sinks) return {};
  return {
    monitoring: {
      graph: doc.spec.monitoring,
      labels: doc.metadata.labels,
      sinkFor: (spec) => sinks(spec, doc),
    },
  };
}
