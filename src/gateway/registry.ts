import { SluiceError } from "../errors.js";
import type { CompiledGraph, GraphEvent, ModelRunner } from "../graph/index.js";

/** A served graph and how many requests are inside it right now. */
interface Entry {
  graph: CompiledGraph;
  inFlight: number;
  /** Set once the entry is replaced: it closes when its last request leaves. */
  retired: boolean;
}

/** A model and the graph that serves it. */
export interface ServedModel {
  graph: CompiledGraph;
  model: ModelRunner;
}

/**
 * The graphs a gateway serves, by name. The first one is the default (reachable at `/`).
 * Model names are resolved across graphs; two graphs serving the same model key clash.
 * Replacing a graph is atomic: requests already inside the old version finish there, new
 * ones enter the new version, and the old version closes when its last request leaves.
 */
export class GraphRegistry {
  readonly #entries = new Map<string, Entry>();
  #models = new Map<string, ServedModel>();
  #defaultName: string | undefined;

  /** Adds graphs at startup; model clashes are rejected. */
  static of(graphs: CompiledGraph[]): GraphRegistry {
    const registry = new GraphRegistry();
    for (const graph of graphs) {
      if (registry.#entries.has(graph.name)) {
        throw new SluiceError(
          "SLUICE_ERR_GRAPH_INVALID",
          `two graphs are named "${graph.name}" (${graph.file})`,
        );
      }
      registry.#entries.set(graph.name, { graph, inFlight: 0, retired: false });
    }
    registry.#defaultName = graphs[0]?.name;
    registry.#models = registry.#indexModels();
    return registry;
  }

  #indexModels(): Map<string, ServedModel> {
    const models = new Map<string, ServedModel>();
    for (const { graph } of this.#entries.values()) {
      for (const model of graph.models.values()) {
        const other = models.get(model.key);
        if (other) {
          throw new SluiceError(
            "SLUICE_ERR_GRAPH_INVALID",
            `model "${model.key}" is served by both graph "${other.graph.name}" and graph "${graph.name}"`,
            { hint: "model names must be unique across the graphs one gateway serves" },
          );
        }
        models.set(model.key, { graph, model });
      }
    }
    return models;
  }

  get names(): string[] {
    return [...this.#entries.keys()];
  }

  get graphs(): CompiledGraph[] {
    return [...this.#entries.values()].map((e) => e.graph);
  }

  get defaultGraph(): CompiledGraph | undefined {
    return this.#defaultName === undefined ? undefined : this.#entries.get(this.#defaultName)?.graph;
  }

  get(name: string): CompiledGraph | undefined {
    return this.#entries.get(name)?.graph;
  }

  /** Every served model, by route key (`name` or `name:version`). */
  get models(): ReadonlyMap<string, ServedModel> {
    return this.#models;
  }

  /** The model a request names: `name:version`, else `name`, else its only version. */
  model(name: string, version: string | undefined): ServedModel | undefined {
    if (version !== undefined) return this.#models.get(`${name}:${version}`);
    const exact = this.#models.get(name);
    if (exact) return exact;
    const versions = [...this.#models.values()].filter((m) => m.model.name === name);
    return versions.length === 1 ? versions[0] : undefined;
  }

  /** True when every graph is started and every model loaded. */
  get ready(): boolean {
    return [...this.#entries.values()].every((e) => e.graph.ready);
  }

  /**
   * Runs `work` inside a graph, counting it in flight, so a replaced graph is closed only
   * after the requests that entered it have left.
   */
  async enter<T>(graph: CompiledGraph, work: () => Promise<T>): Promise<T> {
    const entry = this.#entryOf(graph);
    entry.inFlight++;
    try {
      return await work();
    } finally {
      this.#leave(entry);
    }
  }

  /**
   * Runs an event through `graph` (`CompiledGraph.execute`), counted in flight like `enter`
   * but without a promise when the graph answered synchronously: the response itself (a sync
   * failure is thrown), else a promise of it. The hot paths (HTTP, stream events) use this.
   */
  execute(graph: CompiledGraph, event: GraphEvent): unknown {
    const entry = this.#entryOf(graph);
    entry.inFlight++;
    let outcome: unknown;
    try {
      outcome = graph.execute(event);
    } catch (error) {
      this.#leave(entry);
      throw error;
    }
    if (outcome instanceof Promise) return outcome.finally(() => this.#leave(entry));
    this.#leave(entry);
    return outcome;
  }

  #leave(entry: Entry): void {
    entry.inFlight--;
    if (entry.retired && entry.inFlight === 0) void this.#closeRetired(entry);
  }

  #entryOf(graph: CompiledGraph): Entry {
    const current = this.#entries.get(graph.name);
    if (current?.graph === graph) return current;
    return this.#retired.get(graph) ?? { graph, inFlight: 0, retired: true };
  }

  readonly #retired = new Map<CompiledGraph, Entry>();

  async #closeRetired(entry: Entry): Promise<void> {
    this.#retired.delete(entry.graph);
    await entry.graph.close().catch(() => {});
  }

  /**
   * Loads a new graph or replaces the one of the same name. The new graph must be started
   * already; model clashes with other graphs are rejected and leave everything as it was.
   */
  async put(graph: CompiledGraph): Promise<{ replaced: boolean }> {
    const previous = this.#entries.get(graph.name);
    this.#entries.set(graph.name, { graph, inFlight: 0, retired: false });
    try {
      this.#models = this.#indexModels();
    } catch (error) {
      if (previous) this.#entries.set(graph.name, previous);
      else this.#entries.delete(graph.name);
      throw error;
    }
    this.#defaultName ??= graph.name;
    if (!previous) return { replaced: false };
    previous.retired = true;
    if (previous.inFlight === 0) await this.#closeRetired(previous);
    else this.#retired.set(previous.graph, previous);
    return { replaced: true };
  }

  /** How many requests are inside any graph, old versions included. */
  get inFlight(): number {
    let total = 0;
    for (const e of this.#entries.values()) total += e.inFlight;
    for (const e of this.#retired.values()) total += e.inFlight;
    return total;
  }

  /** Closes every graph (after the data plane stopped taking requests). */
  async close(): Promise<void> {
    const all = [...this.#entries.values(), ...this.#retired.values()];
    await Promise.all(all.map((e) => e.graph.close().catch(() => {})));
  }
}
