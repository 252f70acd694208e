import { join } from "node:path";
import { logLevel } from "kafkajs";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { GraphEvent } from "../../src/graph/index.js";
import { loadGraphText } from "../../src/graph/index.js";
import { DeferredTrigger } from "../../src/triggers/deferred.js";
import { CronTrigger, QueueWriters } from "../../src/triggers/index.js";
import { kafkaConfig } from "../../src/triggers/kafka/client.js";
import { connectNats } from "../../src/triggers/nats/connection.js";
import { consumedQueues } from "../../src/triggers/queue/consumed.js";
import { isRetryable } from "../../src/triggers/retry.js";
import { flow, graphFixtures, memoryLogger } from "../helpers/graphs.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("the triggers' small parts", () => {
  it("retry failures from 500 up and anything without a status, never a 4xx", () => {
    for (const error of [
      null,
      undefined,
      new Error("plain"),
      { status: 500 },
      { status: 503 },
      { status: "400" },
    ]) {
      expect({ error, retry: isRetryable(error) }).toEqual({ error, retry: true });
    }
    for (const error of [{ status: 400 }, { status: 499 }, { status: 404 }]) {
      expect({ error, retry: isRetryable(error) }).toEqual({ error, retry: false });
    }
  });

  it("log kafkajs's errors and warnings through sluice's logger, and nothing below, with patient retries", () => {
    const logger = memoryLogger();
    const config = kafkaConfig({ brokers: ["b:9092"] }, "sluice-x", logger);
    expect(config.retry).toEqual({ retries: 20, initialRetryTime: 200, maxRetryTime: 5_000 });
    const log = (config.logCreator as NonNullable<typeof config.logCreator>)(logLevel.INFO);
    log({
      namespace: "x",
      level: logLevel.ERROR,
      label: "ERROR",
      log: { message: "broken", broker: "b:9092", timestamp: "t" },
    });
    log({ namespace: "x", level: logLevel.WARN, label: "WARN", log: { message: "careful", timestamp: "t" } });
    log({ namespace: "x", level: logLevel.INFO, label: "INFO", log: { message: "chatter", timestamp: "t" } });
    expect(logger.lines).toEqual([
      { level: "error", obj: { kafka: { broker: "b:9092", timestamp: "t" } }, msg: "broken" },
      { level: "warn", obj: { kafka: { timestamp: "t" } }, msg: "careful" },
    ]);
  });

  it("keep the client's reason as the cause when NATS cannot be reached", async () => {
    const error = await connectNats("nats://127.0.0.1:1", "t").catch((e: unknown) => e);
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it("consume only the broker-backed queues not marked consume: false", async () => {
    const graph = await loadGraphText(
      flow(
        `
        a: {handler: ./steps.mjs#inc}
        here: {kind: queue, stream: "kafka://here", after: [a]}
        elsewhere: {kind: queue, stream: "kafka://elsewhere", consume: false, after: [a]}
        b: {handler: ./steps.mjs#inc, after: [here]}
        c: {handler: ./steps.mjs#inc, after: [elsewhere]}
      `,
        "responder: a",
      ),
      join(graphFixtures, "inline.yaml"),
      { logger: memoryLogger(), queueWriter: () => async () => {} },
    );
    expect(consumedQueues(graph)).toEqual([["here", "kafka://here"]]);
    await graph.close();
  });

  it("make a queue writer for a stream with a broker, importing the clients only then, and close them", async () => {
    const writers = new QueueWriters(memoryLogger());
    const doc = { spec: {} } as Parameters<QueueWriters["writerFor"]>[1];
    expect(typeof writers.writerFor("kafka://127.0.0.1:9/audit", doc)).toBe("function");
    expect(typeof writers.writerFor("nats://127.0.0.1:9/audit", doc)).toBe("function");
    await writers.close();
  });
});

describe("a trigger imported when it starts, before it started", () => {
  it("reads starting, then stopped once closed, and drains and closes without the real trigger", async () => {
    let made = 0;
    const trigger = new DeferredTrigger("kafka", "kafka:t", async () => {
      made++;
      throw new Error("not here");
    });
    expect(trigger.health.condition).toBe("starting");
    await expect(trigger.drain()).resolves.toBeUndefined();
    await expect(trigger.close()).resolves.toBeUndefined();
    expect(trigger.health.condition).toBe("stopped");
    expect(trigger.state).toBe("closed");
    expect(made).toBe(0);
  });
});

describe("the cron trigger's events and failures", () => {
  it("sends POST / events, logs a failed run with the trigger's name, and needs no counter", async () => {
    vi.useFakeTimers({ now: 0 });
    const logger = memoryLogger();
    const trigger = new CronTrigger({ kind: "cron", interval: "1s" }, { graph: "g", logger });
    const events: GraphEvent[] = [];
    await trigger.start((event) => {
      events.push(event);
      throw new Error("nightly job broke");
    });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(events[0]).toMatchObject({
      path: "/",
      method: "POST",
      trigger: { kind: "cron", name: "cron:1s" },
    });
    expect(logger.lines).toEqual([
      { level: "warn", obj: { err: expect.any(Error), trigger: "cron:1s" }, msg: "scheduled event failed" },
    ]);
    expect(trigger.health.condition).toBe("running");
    await trigger.close();
    await trigger.drain(); // already stopped: nothing to do
    expect(trigger.state).toBe("closed");
  });

  it("refuses an interval that is not a duration when it starts", async () => {
    const trigger = new CronTrigger(
      { kind: "cron", interval: "soon" },
      { graph: "g", logger: memoryLogger() },
    );
    await expect(trigger.start(() => undefined)).rejects.toThrow(
      expect.objectContaining({
        code: "SLUICE_ERR_GRAPH_INVALID",
        message: 'cron interval "soon" is not a duration',
      }),
    );
  });
});
