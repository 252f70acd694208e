import { SluiceError } from "../../errors.js";
import {
  type CompiledGraph,
  compileDocument,
  type GraphDocument,
  type GraphEvent,
  type Logger,
  preloadFor,
  readGraphDocument,
  type StepSpec,
} from "../../graph/index.js";
import { unwrap } from "../../triggers/index.js";
import { functionGroups } from "./placement.js";

/** One step of the function, ready to run on what the gateway sends it. */
interface HostedStep {
  /** The step's code with its timeout: sync steps return a value, async ones a promise. */
  run(input: unknown, event: GraphEvent): unknown;
  /** The gateway hands a `full_event` step the event as its input: the step's own answer. */
  fullEvent: boolean;
}

/**
 * The part of a graph one deployed function runs (its function group, SLUICE_FUNCTION):
 * each of its steps compiled alone, for the gateway's calls, and the whole graph, for
 * stream messages (the segment behind a queue step, or the graph's own stream triggers).
 */
export class FunctionHost {
  #graph: Promise<CompiledGraph> | undefined;

  private constructor(
    readonly document: GraphDocument,
    readonly file: string,
    /** The function's name (SLUICE_FUNCTION). */
    readonly name: string,
    readonly steps: ReadonlyMap<string, HostedStep>,
    readonly logger: Logger,
  ) {}

  /**
   * Reads the graph and compiles the function's steps. Any failure is the function's setup
   * (SLUICE_ERR_NUCLIO_SETUP, a 500), never the caller's: it says what is missing or wrong.
   */
  static async open(
    file: string | undefined,
    name: string | undefined,
    logger: Logger,
  ): Promise<FunctionHost> {
    try {
      return await FunctionHost.#open(file, name, logger);
    } catch (error) {
      if (error instanceof SluiceError && error.code === "SLUICE_ERR_NUCLIO_SETUP") throw error;
      const why = error instanceof Error ? error.message : String(error);
      throw setupError(`function "${name}" cannot load ${file}: ${why}`, error);
    }
  }

  static async #open(
    file: string | undefined,
    name: string | undefined,
    logger: Logger,
  ): Promise<FunctionHost> {
    if (!file) throw setupError("SLUICE_GRAPH is not set: it names the graph document file");
    if (!name) throw setupError("SLUICE_FUNCTION is not set: it names the function of the graph to run");
    const { document, file: path } = await readGraphDocument(file, { logger });
    const groups = functionGroups(document);
    const stepNames = groups.get(name);
    if (!stepNames) {
      const known = [...groups.keys()].join(", ") || "none";
      throw setupError(
        `graph "${document.metadata.name}" (${file}) has no function "${name}"; its functions: ${known}`,
      );
    }
    const steps = new Map<string, HostedStep>();
    for (const step of stepNames) {
      const spec = document.spec.steps?.[step] as StepSpec;
      steps.set(step, await hostStep(document, path, step, spec, logger));
    }
    return new FunctionHost(document, path, name, steps, logger);
  }

  get graphName(): string {
    return this.document.metadata.name;
  }

  /**
   * Runs a stream message: a message on a queue step's stream enters the segment behind that
   * queue (decoded from its envelope, as sluice's consumer does); anything else (the graph's
   * own Kafka, NATS or cron trigger) enters the graph at its roots.
   */
  async runStream(event: GraphEvent, topic: string | undefined): Promise<unknown> {
    const graph = await this.#wholeGraph();
    const queue = topic === undefined ? undefined : queueReading(this.document, topic);
    if (queue !== undefined) return graph.runAfterQueue(queue, unwrap(event));
    return graph.run(event);
  }

  /** The whole graph, compiled on the first stream message (calls never need it). */
  #wholeGraph(): Promise<CompiledGraph> {
    this.#graph ??= (async () => {
      await preloadFor(this.document);
      const graph = await compileDocument(this.document, { file: this.file, logger: this.logger });
      await graph.whenReady();
      return graph;
    })();
    return this.#graph;
  }
}

function setupError(message: string, cause?: unknown): SluiceError {
  return new SluiceError("SLUICE_ERR_NUCLIO_SETUP", message, cause === undefined ? {} : { cause });
}

/**
 * One step compiled alone: its code and its timeout. What the gateway does around a step
 * placed in Nuclio (paths, `full_event`, guards, error handlers, the flow) is left out here,
 * so nothing is done twice.
 */
async function hostStep(
  document: GraphDocument,
  file: string,
  name: string,
  spec: StepSpec,
  logger: Logger,
): Promise<HostedStep> {
  const {
    after: _after,
    input_path: _input,
    result_path: _result,
    full_event: fullEvent,
    on_error: _onError,
    responder: _responder,
    placement: _placement,
    function: _function,
    ...core
  } = spec;
  const own = Object.fromEntries(
    Object.entries(core).filter(
      ([key]) => !["nuclio", "maxConcurrency", "maxQueue", "fallback"].includes(key),
    ),
  ) as StepSpec;
  const alone: GraphDocument = {
    apiVersion: document.apiVersion,
    kind: document.kind,
    metadata: document.metadata,
    spec: { steps: { [name]: own } },
  };
  await preloadFor(alone);
  const graph = await compileDocument(alone, { file, logger });
  await graph.whenReady();
  const node = graph.executor.nodes[0];
  if (!node) throw new SluiceError("SLUICE_ERR_INTERNAL", `step "${name}" compiled to nothing`);
  return { run: node.run, fullEvent: fullEvent === true };
}

/** The queue step whose stream (`kafka://[brokers/]topic`, `nats://[server/]subject`) is `topic`. */
function queueReading(document: GraphDocument, topic: string): string | undefined {
  for (const [name, spec] of Object.entries(document.spec.steps ?? {})) {
    if (spec.kind !== "queue" || spec.stream === undefined) continue;
    const match = /^(?:kafka|nats):\/\/(?:[^/]+\/)?(.+)$/.exec(spec.stream);
    if (match?.[1] === topic) return name;
  }
  return undefined;
}
