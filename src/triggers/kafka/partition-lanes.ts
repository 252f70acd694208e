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
}

const noHeartbeat = () => Promise.resolve();

/**
 * Turns a client's stream of messages (all partitions interleaved) into per-partition batches
 * for the BatchRunner: each partition has a lane whose messages run in order, one batch at a
 * time (what arrived while the last one ran); up to `concurrency` lanes run at once. The stream
 * is paused while more than `highWater` messages wait. After a rebalance or a crash
 * (`rebalanced`) what waits is dropped and the batches running are stale: the client fetches
 * again from the committed offsets.
 */
export class PartitionLanes {
  readonly #lanes = new Map<string, Lane[]>();
  readonly #ready: Lane[] = [];
  readonly #running = new Set<Promise<void>>();
  #busy = 0;
  #waiting = 0;
  #paused = false;
  #generation = 0;
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

  /** A message from the stream, queued on its partition's lane. */
  push(topic: string, partition: number, message: ConsumedMessage): void {
    const lane = this.#lanes.get(topic)?.[partition] ?? this.#laneOf(topic, partition);
    lane.queue.push(message);
    if (++this.#waiting > this.options.highWater && !this.#paused) {
      this.#paused = true;
      this.options.flow(true);
    }
    if (lane.busy || this.#stopped) return;
    if (this.#busy < this.options.concurrency) this.#start(lane);
    else if (!this.#ready.includes(lane)) this.#ready.push(lane);
  }

  #laneOf(topic: string, partition: number): Lane {
    const lanes = this.#lanes.get(topic) ?? [];
    this.#lanes.set(topic, lanes);
    const lane = { source: sourceOf({ topic, partition }), queue: [], busy: false };
    lanes[partition] = lane;
    return lane;
  }

  /** The partitions moved (or the consumer was made again): what waits is dropped, what runs is stale. */
  rebalanced(): void {
    this.#generation++;
    for (const lanes of this.#lanes.values())
      for (const lane of lanes) if (lane) this.#drop(lane.queue.splice(0));
    this.#ready.length = 0;
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
      const generation = this.#generation;
      try {
        await this.runner.run(batch, lane.source, this.#control(lane.source, generation));
      } catch (error) {
        if (generation === this.#generation && !this.#stopped) this.options.failed(error);
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

  #control(source: Source, generation: number): BatchControl {
    const { commits } = this;
    return {
      resolveOffset: (offset) => commits.resolve(source, offset),
      commitOffsetsIfNecessary: async (offsets) => {
        await (offsets ? commits.commitNow() : commits.commitIfDue());
      },
      heartbeat: noHeartbeat,
      isRunning: () => !this.#stopped,
      isStale: () => generation !== this.#generation,
    };
  }
}
