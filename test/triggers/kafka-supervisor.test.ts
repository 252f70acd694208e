import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { HealthState } from "../../src/triggers/health.js";
import { ConsumerSupervisor } from "../../src/triggers/kafka/supervisor.js";
import { memoryLogger } from "../helpers/graphs.js";

// What a Kafka trigger's health reads through crashes, restarts and recoveries, whichever the
// client, on a fake clock. The same against a real broker is in kafka-crash.test.ts.

function supervised(options: { running?: boolean; restartFailures?: Error[] } = {}) {
  const health = new HealthState();
  const logger = memoryLogger();
  const state = { running: options.running ?? true, restarts: 0 };
  const failures = options.restartFailures ?? [];
  const supervisor = new ConsumerSupervisor(
    health,
    async () => {
      state.restarts++;
      const failure = failures.shift();
      if (failure) throw failure;
    },
    { logger, trigger: "kafka:tx", running: () => state.running, client: "kafkajs" },
  );
  return { supervisor, health, logger, state };
}

beforeEach(() => {
  vi.useFakeTimers();
  // Backoffs jitter between half and all of their ceiling: pin them to the ceiling.
  vi.spyOn(Math, "random").mockReturnValue(0.999_999);
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe("a Kafka consumer's supervisor", () => {
  it("reports running once the consumer started, and crashed with why after a crash", () => {
    const { supervisor, health } = supervised();
    expect(health.condition).toBe("starting");
    supervisor.started();
    expect(health.condition).toBe("running");
    supervisor.crashed(new Error("coordinator gone"), true);
    expect(health.value).toMatchObject({
      condition: "crashed",
      reason: "consumer crashed: coordinator gone",
    });
    // A start after a crash is not a recovery.
    supervisor.started();
    expect(health.condition).toBe("crashed");
  });

  it("leaves a crash its client restarts to the client, logging it once", async () => {
    const { supervisor, logger, state } = supervised();
    const error = new Error("rebalancing");
    supervisor.crashed(error, true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(state.restarts).toBe(0);
    expect(logger.lines).toEqual([
      {
        level: "error",
        obj: { err: error, trigger: "kafka:tx" },
        msg: "consumer crashed: rebalancing; kafkajs restarts it",
      },
    ]);
  });

  it("restarts a crash its client leaves after 1 s, then 2 s, 4 s... while restarts fail, saying each", async () => {
    const { supervisor, health, logger, state } = supervised({
      restartFailures: [new Error("broker away"), new Error("broker away")],
    });
    supervisor.crashed(new Error("write refused"), false);
    expect(logger.lines[0]).toMatchObject({
      level: "error",
      obj: { trigger: "kafka:tx", crashes: 1, restartInMs: 1_000 },
      msg: "consumer crashed: write refused; restarting it",
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(state.restarts).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(state.restarts).toBe(1);
    expect(health.value).toMatchObject({
      condition: "crashed",
      reason: "consumer crashed: write refused; restart failed: broker away",
    });
    expect(logger.lines[1]).toMatchObject({
      level: "error",
      obj: { trigger: "kafka:tx" },
      msg: "consumer crashed: write refused; restart failed: broker away",
    });
    await vi.advanceTimersByTimeAsync(1_999);
    expect(state.restarts).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(state.restarts).toBe(2);
    await vi.advanceTimersByTimeAsync(3_999);
    expect(state.restarts).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(state.restarts).toBe(3);
    expect(logger.lines.at(-1)).toEqual({
      level: "warn",
      obj: { trigger: "kafka:tx" },
      msg: "consumer restarted after a crash",
    });
  });

  it("counts as running again once the consumer made progress, and backs off from 1 s again after", async () => {
    const { supervisor, health, logger } = supervised();
    supervisor.crashed(new Error("a"), false);
    supervisor.crashed(new Error("b"), false);
    expect(logger.lines.at(-1)?.obj).toMatchObject({ crashes: 2, restartInMs: 2_000 });
    supervisor.progressed();
    expect(health.condition).toBe("running");
    supervisor.crashed(new Error("c"), false);
    expect(logger.lines.at(-1)?.obj).toMatchObject({ crashes: 1, restartInMs: 1_000 });
  });

  it("leaves a stopping trigger's health alone when the drain's last batches make progress", () => {
    const { supervisor, health } = supervised();
    supervisor.crashed(new Error("a"), false);
    supervisor.stop();
    supervisor.progressed();
    expect(health.value).toMatchObject({ condition: "crashed", reason: "consumer crashed: a" });
  });

  it("counts as running again after staying joined 5 s without crashing, not sooner", async () => {
    const { supervisor, health } = supervised();
    supervisor.started();
    supervisor.crashed(new Error("a"), true);
    supervisor.joined();
    await vi.advanceTimersByTimeAsync(4_999);
    expect(health.condition).toBe("crashed");
    await vi.advanceTimersByTimeAsync(1);
    expect(health.condition).toBe("running");
  });

  it("does not count a join followed by another crash within 5 s as a recovery", async () => {
    const { supervisor, health } = supervised();
    supervisor.crashed(new Error("a"), true);
    supervisor.joined();
    await vi.advanceTimersByTimeAsync(3_000);
    supervisor.crashed(new Error("b"), true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(health.value).toMatchObject({ condition: "crashed", reason: "consumer crashed: b" });
  });

  it("reports running on a join without a crash, only while the trigger runs", () => {
    const { supervisor, health, state } = supervised({ running: false });
    supervisor.joined();
    expect(health.condition).toBe("starting");
    state.running = true;
    supervisor.joined();
    expect(health.condition).toBe("running");
  });

  it("once stopped ignores crashes, restarts nothing and does not recover", async () => {
    const { supervisor, health, state, logger } = supervised();
    supervisor.crashed(new Error("a"), false);
    supervisor.joined();
    supervisor.stop();
    health.set("stopped");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(state.restarts).toBe(0);
    expect(health.condition).toBe("stopped");
    supervisor.crashed(new Error("b"), false);
    expect(logger.lines).toHaveLength(1);
  });

  it("leaves the health alone on progress when nothing crashed: a drained trigger stays stopped", () => {
    const { supervisor, health } = supervised();
    supervisor.started();
    supervisor.stop();
    health.set("stopped");
    supervisor.progressed();
    expect(health.condition).toBe("stopped");
  });

  it("ignores crashes while the trigger is not running, and restarts nothing once it stopped running", async () => {
    const { supervisor, health, state } = supervised();
    supervisor.crashed(new Error("a"), false);
    state.running = false;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(state.restarts).toBe(0);
    supervisor.crashed(new Error("b"), false);
    expect(health.value.reason).toBe("consumer crashed: a");
  });
});
