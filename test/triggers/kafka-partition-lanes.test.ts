import { afterEach, describe, expect, it, vi } from "vitest";
import type { BatchControl, BatchRunner } from "../../src/triggers/kafka/batch-runner.js";
import type { ConsumedMessage, Source } from "../../src/triggers/kafka/message.js";
import {
  OffsetCommits,
  PartitionLanes,
  type PendingOffset,
} from "../../src/triggers/kafka/partition-lanes.js";
import { memoryLogger } from "../helpers/graphs.js";

// How the @platformatic/kafka trigger cuts its one stream of messages into per-partition
// batches, and commits what is done, on a scripted runner (no broker). The trigger against a
// real broker is in the kafka-*.test.ts files run with `client: platformatic`.

const message = (offset: number): ConsumedMessage => ({
  key: null,
  value: null,
  offset: String(offset),
  timestamp: "0",
});

/** A runner whose batches the test finishes (or fails) by hand. */
function scriptedRunner() {
  const runs: {
    source: Source;
    offsets: string[];
    control: BatchControl;
    finish: () => void;
    fail: (error: unknown) => void;
  }[] = [];
  const runner = {
    run: (messages: readonly ConsumedMessage[], source: Source, control: BatchControl) =>
      new Promise<void>((finish, fail) => {
        runs.push({ source, offsets: messages.map((m) => m.offset), control, finish, fail });
      }),
  } as unknown as BatchRunner;
  return { runner, runs };
}

function scriptedLanes(options: { concurrency?: number; highWater?: number } = {}) {
  const { runner, runs } = scriptedRunner();
  const committed: PendingOffset[][] = [];
  const commits = new OffsetCommits(
    1_000,
    60_000,
    async (offsets) => {
      committed.push(offsets);
    },
    memoryLogger(),
  );
  const flows: boolean[] = [];
  const failures: unknown[] = [];
  const lanes = new PartitionLanes(runner, commits, {
    concurrency: options.concurrency ?? 4,
    highWater: options.highWater ?? 1_000,
    flow: (paused) => flows.push(paused),
    failed: (error) => failures.push(error),
  });
  const push = (partition: number, ...offsets: number[]) => {
    for (const offset of offsets) lanes.push("t", partition, BigInt(offset), message(offset));
  };
  /** What ran, as `partition:offsets`. */
  const ran = () => runs.map((r) => `${r.source.partition}:${r.offsets.join(",")}`);
  return { lanes, runs, push, ran, flows, failures, committed, commits };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

afterEach(() => {
  vi.useRealTimers();
});

describe("a partition's lane", () => {
  it("runs its messages in order, one batch at a time: what arrived while the last ran is the next batch", async () => {
    const { lanes, runs, push, ran } = scriptedLanes();
    lanes.assign([{ topic: "t", partitions: [0] }]);
    push(0, 0);
    push(0, 1, 2);
    expect(ran()).toEqual(["0:0"]);
    expect(runs[0]?.source).toEqual({ topic: "t", partition: 0, idPrefix: "t/0/", path: "/t" });
    runs[0]?.finish();
    await settle();
    expect(ran()).toEqual(["0:0", "0:1,2"]);
  });

  it("skips messages of a partition that is not this member's", () => {
    const { lanes, push, ran } = scriptedLanes();
    lanes.assign([{ topic: "t", partitions: [0] }]);
    push(1, 0);
    lanes.push("u", 0, 0n, message(0));
    expect(ran()).toEqual([]);
  });

  it("starts one waiting partition for each that finishes, never more than `concurrency` at once", async () => {
    const { lanes, runs, push, ran } = scriptedLanes({ concurrency: 2 });
    lanes.assign([{ topic: "t", partitions: [0, 1, 2, 3] }]);
    for (const partition of [0, 1, 2, 3]) push(partition, 0);
    runs[0]?.finish();
    await settle();
    expect(ran()).toEqual(["0:0", "1:0", "2:0"]);
  });

  it("lets go after a crash of partitions it took without the ones below them", async () => {
    const { lanes, push, ran } = scriptedLanes();
    lanes.assign([{ topic: "t", partitions: [2] }]);
    lanes.revokeAll();
    push(2, 0);
    expect(ran()).toEqual([]);
  });

  it("runs up to `concurrency` partitions at once; the others wait their turn, each once", async () => {
    const { lanes, runs, push, ran } = scriptedLanes({ concurrency: 2 });
    lanes.assign([{ topic: "t", partitions: [0, 1, 2] }]);
    push(0, 0);
    push(1, 0);
    push(2, 0);
    push(2, 1);
    expect(ran()).toEqual(["0:0", "1:0"]);
    runs[0]?.finish();
    await settle();
    expect(ran()).toEqual(["0:0", "1:0", "2:0,1"]);
    runs[1]?.finish();
    runs[2]?.finish();
    await settle();
    expect(ran()).toHaveLength(3);
  });

  it("keeps a partition that stays after a rebalance, skipping what the client fetches of it again", () => {
    const { lanes, push, ran, runs } = scriptedLanes();
    lanes.assign([{ topic: "t", partitions: [0] }]);
    push(0, 0, 1);
    lanes.assign([{ topic: "t", partitions: [0, 1] }]);
    push(0, 0, 1, 2);
    expect(ran()).toEqual(["0:0"]);
    expect(runs[0]?.control.isStale()).toBe(false);
    runs[0]?.finish();
    return settle().then(() => expect(ran()).toEqual(["0:0", "0:1,2"]));
  });

  it("lets go of a partition that goes: what waits is dropped, its running batch turns stale, and later messages of it are skipped", async () => {
    const { lanes, push, ran, runs, failures } = scriptedLanes();
    lanes.assign([{ topic: "t", partitions: [0, 1] }]);
    push(0, 0, 1);
    lanes.assign([{ topic: "t", partitions: [1] }]);
    expect(runs[0]?.control.isStale()).toBe(true);
    push(0, 2);
    runs[0]?.fail(new Error("write refused"));
    await settle();
    expect(ran()).toEqual(["0:0"]);
    // A stale batch that failed is not a crash: the partition is someone else's now.
    expect(failures).toEqual([]);
  });

  it("takes a partition back from its committed offset when it returns", async () => {
    const { lanes, push, ran, runs } = scriptedLanes();
    lanes.assign([{ topic: "t", partitions: [0] }]);
    push(0, 0, 1);
    lanes.assign([]);
    runs[0]?.finish();
    await settle();
    lanes.assign([{ topic: "t", partitions: [0] }]);
    push(0, 1);
    expect(ran()).toEqual(["0:0", "0:1"]);
  });

  it("lets go of every lane after a crash, the partitions running again from their committed offsets once assigned", async () => {
    const { lanes, push, ran, runs } = scriptedLanes();
    lanes.assign([
      { topic: "t", partitions: [0] },
      { topic: "u", partitions: [0] },
    ]);
    push(0, 0, 1);
    lanes.revokeAll();
    expect(runs[0]?.control.isStale()).toBe(true);
    push(0, 2);
    runs[0]?.finish();
    await settle();
    expect(ran()).toEqual(["0:0"]);
    lanes.assign([{ topic: "t", partitions: [0] }]);
    push(0, 1);
    expect(ran()).toEqual(["0:0", "0:1"]);
  });

  it("reports a batch that failed on a partition it still holds as a crash", async () => {
    const { lanes, push, runs, failures } = scriptedLanes();
    lanes.assign([{ topic: "t", partitions: [0] }]);
    push(0, 0);
    const refused = new Error("commit refused");
    runs[0]?.fail(refused);
    await settle();
    expect(failures).toEqual([refused]);
  });

  it("pauses the stream while more than highWater messages wait, and resumes it once half of that is left", async () => {
    const { lanes, push, runs, flows } = scriptedLanes({ highWater: 4 });
    lanes.assign([{ topic: "t", partitions: [0] }]);
    push(0, 0, 1, 2, 3);
    expect(flows).toEqual([]);
    push(0, 4, 5);
    expect(flows).toEqual([true]);
    runs[0]?.finish();
    await settle();
    // 5 still wait (the next batch): more than half of 4.
    expect(flows).toEqual([true]);
    runs[1]?.finish();
    await settle();
    expect(flows).toEqual([true, false]);
    // Resumed, it pauses again the next time too many wait.
    push(0, 6, 7, 8, 9, 10);
    expect(flows).toEqual([true, false, true]);
  });

  it("resumes a paused stream when a rebalance drops what waited", () => {
    const { lanes, push, flows } = scriptedLanes({ highWater: 2 });
    lanes.assign([{ topic: "t", partitions: [0] }]);
    push(0, 0, 1, 2);
    expect(flows).toEqual([true]);
    lanes.assign([]);
    expect(flows).toEqual([true, false]);
  });

  it("on stop lets running batches finish, starts no other, and tells batches the consumer is stopping", async () => {
    const { lanes, push, ran, runs, failures } = scriptedLanes({ concurrency: 1 });
    lanes.assign([{ topic: "t", partitions: [0, 1] }]);
    push(0, 0);
    push(1, 0);
    expect(runs[0]?.control.isRunning()).toBe(true);
    let stopped = false;
    const stopping = lanes.stop().then(() => {
      stopped = true;
    });
    push(0, 1);
    await settle();
    expect(stopped).toBe(false);
    expect(runs[0]?.control.isRunning()).toBe(false);
    runs[0]?.fail(new Error("cut short"));
    await stopping;
    expect(ran()).toEqual(["0:0"]);
    expect(failures).toEqual([]);
  });

  it("gives batches a control that resolves and commits through the commit policy, and a heartbeat that does nothing", async () => {
    const { lanes, push, runs, committed } = scriptedLanes();
    lanes.assign([{ topic: "t", partitions: [3] }]);
    push(3, 7);
    const control = runs[0]?.control as BatchControl;
    await expect(control.heartbeat()).resolves.toBeUndefined();
    control.resolveOffset("7");
    await control.commitOffsetsIfNecessary();
    expect(committed).toEqual([]);
    await control.commitOffsetsIfNecessary({ topics: [] });
    expect(committed).toEqual([[{ topic: "t", partition: 3, offset: 8n }]]);
  });
});

describe("offset commits by hand", () => {
  function policy(everyEvents = 3, everyMs = 1_000) {
    const committed: PendingOffset[][] = [];
    const failures: Error[] = [];
    const logger = memoryLogger();
    const commits = new OffsetCommits(
      everyEvents,
      everyMs,
      async (offsets) => {
        const failure = failures.shift();
        if (failure) throw failure;
        committed.push(offsets);
      },
      logger,
    );
    const source = (partition: number): Source => ({
      topic: "t",
      partition,
      idPrefix: `t/${partition}/`,
      path: "/t",
    });
    return { commits, committed, failures, logger, source };
  }

  it("commits the next offset to read of each partition once `everyEvents` events are resolved", async () => {
    vi.useFakeTimers();
    const { commits, committed, source } = policy(3);
    commits.resolve(source(0), "4");
    commits.resolve(source(1), "9");
    expect(commits.commitIfDue()).toBeUndefined();
    commits.resolve(source(0), "5");
    await commits.commitIfDue();
    expect(committed).toEqual([
      [
        { topic: "t", partition: 0, offset: 6n },
        { topic: "t", partition: 1, offset: 10n },
      ],
    ]);
    // The count starts again after a commit.
    commits.resolve(source(0), "6");
    expect(commits.commitIfDue()).toBeUndefined();
  });

  it("counts the events between two resolved offsets of a partition, not the resolves", async () => {
    vi.useFakeTimers();
    const { commits, committed, source } = policy(10);
    commits.resolve(source(0), "0");
    commits.resolve(source(0), "8");
    expect(commits.commitIfDue()).toBeUndefined();
    commits.resolve(source(0), "9");
    await commits.commitIfDue();
    expect(committed).toEqual([[{ topic: "t", partition: 0, offset: 10n }]]);
  });

  it("commits once `everyMs` passed since the last commit, asked or not", async () => {
    vi.useFakeTimers();
    const { commits, committed, source } = policy(100, 1_000);
    commits.resolve(source(0), "0");
    await vi.advanceTimersByTimeAsync(999);
    expect(commits.commitIfDue()).toBeUndefined();
    expect(committed).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(committed).toEqual([[{ topic: "t", partition: 0, offset: 1n }]]);
    commits.resolve(source(0), "1");
    vi.setSystemTime(Date.now() + 1_000);
    await commits.commitIfDue();
    expect(committed).toHaveLength(2);
  });

  it("commits nothing when nothing was resolved, and nothing by the clock once stopped", async () => {
    vi.useFakeTimers();
    const { commits, committed, source } = policy(100, 1_000);
    await commits.commitNow();
    expect(committed).toEqual([]);
    commits.resolve(source(0), "0");
    commits.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(committed).toEqual([]);
    commits.resolve(source(0), "1");
    await vi.advanceTimersByTimeAsync(5_000);
    expect(committed).toEqual([]);
    await commits.commitNow();
    expect(committed).toEqual([[{ topic: "t", partition: 0, offset: 2n }]]);
  });

  it("keeps the offsets of a commit that failed for the next, unless a later one of the partition was resolved meanwhile", async () => {
    vi.useFakeTimers();
    const { commits, committed, failures, logger, source } = policy(100, 1_000);
    commits.resolve(source(0), "3");
    commits.resolve(source(1), "5");
    failures.push(new Error("rebalance in progress"));
    const first = commits.commitNow();
    // Resolved while the commit is on its way.
    commits.resolve(source(1), "6");
    await first;
    expect(committed).toEqual([]);
    expect(logger.lines).toEqual([
      {
        level: "warn",
        obj: { err: expect.objectContaining({ message: "rebalance in progress" }) },
        msg: "offsets not committed; trying again with the next commit",
      },
    ]);
    // The failed commit armed the clock again.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(committed).toEqual([
      [
        { topic: "t", partition: 1, offset: 7n },
        { topic: "t", partition: 0, offset: 4n },
      ],
    ]);
  });
});
