import type { Logger } from "../../graph/index.js";
import type { BatchControl, BatchRunner } from "./batch-runner.js";
import { type ConsumedMessage, type Source, sourceOf } from "./message.js";

/** A partition's next offset to read, resolved and not committed yet. */
export interface PendingOffset {
  topic: string;
  partition: number;
  offset: bigint;
}

/**
 * The commit policy for a client that commits by hand: resolved offsets are committed every
 * `everyEvents` events or `everyMs` ms (as kafkajs's autoCommit does), or at once when asked.
 * A commit that fails (a rebalance, the coordinator away) keeps its offsets for the next one:
 * what was done is committed late, never skipped.
 */
export class OffsetCommits {
  readonly #pending = new Map<string, PendingOffset>();
  readonly #resolved = new Map<string, bigint>();
  #events = 0;
  #at = Date.now();
  /** Commits what is resolved once `everyMs` passed, when no later resolve does it first. */
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    readonly everyEvents: number,
    readonly everyMs: number,
    readonly commit: (offsets: PendingOffset[]) => Promise<unknown>,
    readonly logger: Logger,
  ) {}

  /** `offset` of `source` is done (called once a flush, not once an event). */
  resolve(source: Source, offset: string): void {
    const next = BigInt(offset) + 1n;
    const before = this.#resolved.get(source.idPrefix);
    this.#events += before === undefined ? 1 : Number(next - before);
    this.#resolved.set(source.idPrefix, next);
    this.#pending.set(source.idPrefix, { topic: source.topic, partition: source.partition, offset: next });
    this.#arm();
  }

  /** No commits by the clock any more (what is pending is committed with commitNow). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * kafkajs commits by the clock between fetches too: the last events before a quiet spell are
   * committed within `everyMs`, not when the next event comes.
   */
  #arm(): void {
    if (this.#timer || this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.commitNow();
    }, this.everyMs);
    this.#timer.unref();
  }

  commitIfDue(): Promise<void> | undefined {
    if (this.#events >= this.everyEvents || Date.now() - this.#at >= this.everyMs) return this.commitNow();
    return undefined;
  }

  async commitNow(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#events = 0;
    this.#at = Date.now();
    if (this.#pending.size === 0) return;
    const taken = [...this.#pending];
    this.#pending.clear();
    try {
      await this.commit(taken.map(([, pending]) => pending));
    } catch (error) {
      // Kept for the next commit, unless a later offset of the partition was resolved meanwhile.
      for (const [key, pending] of taken) if (!this.#pending.has(key)) this.#pending.set(key, pending);
      this.#arm();
      this.logger.warn({ err: error }, "offsets not committed; trying again with the next commit");
    }
  }
}

interface Lane {
  source: Source;
  queue: ConsumedMessage[];
  busy: boolean;
  /** Whether the partition is this member's now: messages of a partition that is not are skipped. */
  assigned: boolean;
  /** The offset after the last message queued: what is fetched again below it is skipped. */
  next: bigint | undefined;
  /** Bumped when the partition is revoked: a batch taken before is stale. */
  generation: number;
}

/** A consumer's share of its group: partitions by topic. */
export interface Assignment {
  topic: string;
  partitions: number[];
}

const noHeartbeat = () => Promise.resolve();

/**
 * Turns a client's stream of messages (all partitions interleaved) into per-partition batches
 * for the BatchRunner: each partition assigned to this member has a lane whose messages run in
 * order, one batch at a time (what arrived while the last one ran); up to `concurrency` lanes
 * run at once. The stream is paused while more than `highWater` messages wait.
 *
 * After a rebalance (`assign`) a partition that stays keeps its lane, and what the client
 * fetches of it again (from the committed offset) is skipped up to where the lane is; one that
 * goes loses what waits, its running batch turns stale, and messages of it fetched before it
 * went are skipped: once a batch was dropped, nothing after it may be resolved, or the commit
 * would pass events never run. After a crash (`revokeAll`) every lane is let go of.
 */
export class PartitionLanes {
  readonly #lanes = new Map<string, Lane[]>();
  readonly #ready: Lane[] = [];
  readonly #running = new Set<Promise<void>>();
  #busy = 0;
  #waiting = 0;
  #paused = false;
  #stopped = false;

  constructor(
    readonly runner: BatchRunner,
    readonly commits: OffsetCommits,
    readonly options: {
      concurrency: number;
      highWater: number;
      /** Pauses and resumes the client's stream. */
      flow(paused: boolean): void;
      /** A batch failed (a write refused, a commit that threw): the consumer counts as crashed. */
      failed(error: unknown): void;
    },
  ) {}

  /** A message from the stream, queued on its partition's lane (or skipped, see above). */
  push(topic: string, partition: number, offset: bigint, message: ConsumedMessage): void {
    const lane = this.#lanes.get(topic)?.[partition];
    if (!lane?.assigned || (lane.next !== undefined && offset < lane.next)) return;
    lane.next = offset + 1n;
    lane.queue.push(message);
    if (++this.#waiting > this.options.highWater && !this.#paused) {
      this.#paused = true;
      this.options.flow(true);
    }
    if (lane.busy || this.#stopped) return;
    if (this.#busy < this.options.concurrency) this.#start(lane);
    else if (!this.#ready.includes(lane)) this.#ready.push(lane);
  }

  /** The member's partitions after a (re)join: lanes for the new ones, the others revoked. */
  assign(assignments: Assignment[]): void {
    const kept = new Set<Lane>();
    for (const { topic, partitions } of assignments) {
      for (const partition of partitions) {
        const lane = this.#lanes.get(topic)?.[partition] ?? this.#laneOf(topic, partition);
        lane.assigned = true;
        kept.add(lane);
      }
    }
    for (const lanes of this.#lanes.values())
      for (const lane of lanes) if (lane && !kept.has(lane)) this.#revoke(lane);
  }

  /** The consumer is made again (after a crash): every lane is let go of, as for a revocation. */
  revokeAll(): void {
    for (const lanes of this.#lanes.values()) for (const lane of lanes) if (lane) this.#revoke(lane);
  }

  #revoke(lane: Lane): void {
    lane.assigned = false;
    lane.next = undefined;
    lane.generation++;
    this.#drop(lane.queue.splice(0));
  }

  #laneOf(topic: string, partition: number): Lane {
    const lanes = this.#lanes.get(topic) ?? [];
    this.#lanes.set(topic, lanes);
    const source = sourceOf({ topic, partition });
    const lane = { source, queue: [], busy: false, assigned: false, next: undefined, generation: 0 };
    lanes[partition] = lane;
    return lane;
  }

  /** Lets the running batches finish (each stops at its next event, writes and commits what is done). */
  async stop(): Promise<void> {
    this.#stopped = true;
    while (this.#running.size > 0) await Promise.all(this.#running);
  }

  #start(lane: Lane): void {
    lane.busy = true;
    this.#busy++;
    const running = this.#drive(lane).finally(() => {
      this.#running.delete(running);
      lane.busy = false;
      this.#busy--;
      this.#next();
    });
    this.#running.add(running);
  }

  #next(): void {
    while (this.#busy < this.options.concurrency && this.#ready.length > 0 && !this.#stopped) {
      const lane = this.#ready.shift() as Lane;
      if (!lane.busy && lane.queue.length > 0) this.#start(lane);
    }
  }

  async #drive(lane: Lane): Promise<void> {
    while (lane.queue.length > 0 && !this.#stopped) {
      const batch = lane.queue;
      lane.queue = [];
      const generation = lane.generation;
      try {
        await this.runner.run(batch, lane.source, this.#control(lane, generation));
      } catch (error) {
        if (generation === lane.generation && !this.#stopped) this.options.failed(error);
      }
      this.#drop(batch);
    }
  }

  #drop(messages: ConsumedMessage[]): void {
    this.#waiting -= messages.length;
    if (this.#paused && this.#waiting <= this.options.highWater / 2) {
      this.#paused = false;
      this.options.flow(false);
    }
  }

  #control(lane: Lane, generation: number): BatchControl {
    const { commits } = this;
    const { source } = lane;
    return {
      resolveOffset: (offset) => commits.resolve(source, offset),
      commitOffsetsIfNecessary: async (offsets) => {
        await (offsets ? commits.commitNow() : commits.commitIfDue());
      },
      heartbeat: noHeartbeat,
      isRunning: () => !this.#stopped,
      isStale: () => generation !== lane.generation,
    };
  }
}
