import { setTimeout as sleep } from "node:timers/promises";
import type { Pool } from "undici";
import { SluiceError } from "../../errors.js";
import { lazyModule } from "../../lazy-module.js";
import { type BreakerListener, type BreakerSettings, defaultBreaker, TargetBreaker } from "./breaker.js";
import { Bulkhead, type BulkheadLimits } from "./bulkhead.js";

/** Metrics hook: a listener per remote target's breaker, bound once when the target opens. */
export type BreakerObserver = (graph: string, target: string) => BreakerListener;

/** What one step says about its target; undefined parts leave the choice to other steps. */
export interface TargetClaim {
  /** `false`: no breaker for this target. */
  breaker?: BreakerSettings | false | undefined;
  limits?: TargetLimits | undefined;
}

/** The `target` block of a remote step. */
export interface TargetLimits {
  /** Calls in flight to the target at once, across the graph's steps (a bulkhead). */
  maxConcurrency?: number | undefined;
  maxQueue?: number | undefined;
  /** Keep-alive connections the pool may open. */
  connections?: number | undefined;
}

/** A remote target's shared machinery: one pool, one breaker, one bulkhead per origin. */
export interface RemoteTarget {
  readonly origin: string;
  readonly pool: Pool;
  readonly breaker: TargetBreaker | undefined;
  readonly bulkhead: Bulkhead | undefined;
}

/**
 * Where a compiled graph keeps its RemoteTargets among its steps' lifecycles (closed after
 * them); no step can have this name.
 */
export const remoteTargetsKey = "(remote targets)";

// undici is ~7 MB of `sluice serve`'s RSS: imported only for graphs that call a remote target.
// The loader awaits loadUndici() for such documents, so a pool can be made synchronously.
const undici = lazyModule("undici", () => import("undici"));

/** Imports the HTTP client that remote targets' pools use. */
export async function loadUndici(): Promise<void> {
  await undici.load();
}

/** Connections per target pool when no limit is given: plenty for keep-alive reuse, not unbounded. */
const defaultConnections = 128;

interface Entry {
  claims: { step: string; claim: TargetClaim }[];
  target: RemoteTarget | undefined;
}

/**
 * The remote targets of one graph, by origin (`scheme://host:port`). Every step that calls
 * an origin shares its keep-alive pool, its circuit breaker and its bulkhead, so the target
 * is protected as one dependency whichever step calls it. Steps claim targets while the
 * graph compiles (conflicting settings are reported then); the machinery is made on first
 * use and closed with the graph.
 */
export class RemoteTargets {
  readonly #entries = new Map<string, Entry>();
  #closed = false;

  constructor(
    readonly graph: string,
    readonly observe?: BreakerObserver,
  ) {}

  /**
   * Records that `step` calls `origin` with these settings. Returns a problem message when
   * they contradict another step's, else a getter for the target (made on first call).
   */
  claim(origin: string, step: string, claim: TargetClaim): (() => RemoteTarget) | string {
    let entry = this.#entries.get(origin);
    if (!entry) {
      entry = { claims: [], target: undefined };
      this.#entries.set(origin, entry);
    }
    for (const other of entry.claims) {
      for (const part of ["breaker", "limits"] as const) {
        const mine = claim[part];
        const theirs = other.claim[part];
        if (mine !== undefined && theirs !== undefined && JSON.stringify(mine) !== JSON.stringify(theirs)) {
          const field = part === "breaker" ? "breaker" : "target";
          return `step "${other.step}" calls ${origin} too, with another ${field}: steps that call one target must agree on its ${field} (or only one of them sets it)`;
        }
      }
    }
    entry.claims.push({ step, claim });
    const found = entry;
    return () => found.target ?? this.#open(origin, found);
  }

  #open(origin: string, entry: Entry): RemoteTarget {
    if (this.#closed)
      throw new SluiceError(
        "SLUICE_ERR_INTERNAL",
        `graph "${this.graph}" is closed: no new calls to ${origin}`,
      );
    const breaker = configured(entry, "breaker") ?? defaultBreaker;
    const limits = configured(entry, "limits") ?? {};
    const max = limits.maxConcurrency;
    const bulkheadLimits: BulkheadLimits | undefined =
      max === undefined ? undefined : { maxConcurrency: max, maxQueue: limits.maxQueue ?? max };
    const target: RemoteTarget = {
      origin,
      pool: new (undici.get().Pool)(origin, { connections: limits.connections ?? max ?? defaultConnections }),
      breaker:
        breaker === false
          ? undefined
          : new TargetBreaker(origin, breaker, this.observe?.(this.graph, origin)),
      bulkhead: bulkheadLimits ? new Bulkhead(`target ${origin}`, bulkheadLimits) : undefined,
    };
    entry.target = target;
    return target;
  }

  /** Every claimed target: which steps call it, its breaker and its bulkhead right now. */
  describe(): Record<string, unknown>[] {
    return [...this.#entries].map(([origin, entry]) => {
      const target = entry.target;
      const bulkhead = target?.bulkhead;
      return {
        target: origin,
        steps: entry.claims.map((c) => c.step),
        breaker: target ? (target.breaker?.describe() ?? null) : notYetCalled(entry),
        bulkhead: bulkhead ? { active: bulkhead.active, queued: bulkhead.queued, ...bulkhead.limits } : null,
      };
    });
  }

  /** Breaker state per step that calls a target ("closed" before the first call). */
  breakerOf(step: string): string | undefined {
    for (const entry of this.#entries.values()) {
      if (!entry.claims.some((c) => c.step === step)) continue;
      if (entry.target) return entry.target.breaker?.state;
      return notYetCalled(entry)?.state;
    }
    return undefined;
  }

  async init(): Promise<void> {}

  /** Stops the breakers and closes the pools (a pool that will not close in 2 s is destroyed). */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(
      [...this.#entries.values()].map(async ({ target }) => {
        if (!target) return;
        target.breaker?.close();
        const closed = await Promise.race([
          target.pool.close().then(() => true),
          sleep(2000, false, { ref: false }),
        ]);
        if (!closed) await target.pool.destroy();
      }),
    );
  }
}

/** The first setting a step gave for this part of the target, if any did. */
function configured<K extends keyof TargetClaim>(entry: Entry, part: K): TargetClaim[K] {
  return entry.claims.find((c) => c.claim[part] !== undefined)?.claim[part];
}

/** Before the first call the breaker does not exist yet; it will start closed. */
function notYetCalled(entry: Entry): { state: "closed" } | null {
  return configured(entry, "breaker") === false ? null : { state: "closed" };
}
