import { describe, expect, it, vi } from "vitest";
import { SluiceError } from "../../src/errors.js";
import type { GraphEvent } from "../../src/graph/index.js";
import { backoffMs } from "../../src/triggers/retry.js";
import { headerOf, ScriptedKafka } from "../helpers/scripted-kafka.js";

// The Kafka trigger's batch loop on scripted links (no broker): what it writes, resolves and
// commits, and in which order. The same guarantees against a real broker are in
// kafka-trigger.test.ts, kafka-dlq-write.test.ts and kafka-crash.test.ts.

const body = (event: GraphEvent) => event.body as { i: number };

describe("a Kafka batch, scripted", () => {
  it("resolves an offset only after the write carrying its output was acknowledged", async () => {
    const kafka = new ScriptedKafka({ output: { topic: "out" } });
    await kafka.start((event) => ({ ...body(event), done: true }));
    kafka.holdWrites();
    const batch = kafka.batch([{ i: 0 }, { i: 1 }, { i: 2 }]);
    await vi.waitFor(() => expect(kafka.writesWaiting).toBe(1));
    expect(kafka.resolved).toEqual([]);

    kafka.release();
    await batch;
    expect(kafka.sends).toHaveLength(1);
    expect(kafka.sends[0]?.messages.map((m) => JSON.parse(String(m.value)))).toEqual([
      { i: 0, done: true },
      { i: 1, done: true },
      { i: 2, done: true },
    ]);
    expect(kafka.resolved).toEqual(["2"]);
    expect(kafka.log.indexOf("sent out")).toBeLessThan(kafka.log.indexOf("resolve 2"));
  });

  it("resolves a dead-lettered offset only after its dead letter was acknowledged", async () => {
    const kafka = new ScriptedKafka({ output: { topic: "out" }, dlq: { topic: "dlq", maxAttempts: 3 } });
    await kafka.start((event) => {
      if (body(event).i === 1) throw new SluiceError("SLUICE_ERR_INPUT", "not a score");
      return body(event);
    });
    kafka.holdWrites();
    const batch = kafka.batch([{ i: 0 }, { i: 1 }, { i: 2 }]);
    // The output of the event before the failing one goes first, on its own.
    await vi.waitFor(() => expect(kafka.writesWaiting).toBe(1));
    expect(kafka.sends.map((s) => s.topic)).toEqual(["out"]);
    expect(kafka.resolved).toEqual([]);
    kafka.releaseNext();
    await vi.waitFor(() => expect(kafka.writesWaiting).toBe(1));
    expect(kafka.sends.map((s) => s.topic)).toEqual(["out", "dlq"]);
    expect(kafka.resolved).toEqual(["0"]);

    kafka.release();
    await batch;
    expect(kafka.resolved.at(-1)).toBe("2");
    expect(kafka.log.indexOf("sent dlq")).toBeLessThan(kafka.log.indexOf("resolve 2"));
  });

  it("with maxAttempts: 4 calls the handler exactly 4 times, then dead-letters with x-sluice-attempts: 4", async () => {
    const kafka = new ScriptedKafka({ dlq: { topic: "dlq", maxAttempts: 4 } });
    let calls = 0;
    await kafka.start(() => {
      calls++;
      throw new Error("the feature store is down");
    });
    await kafka.batch([{ i: 0 }]);
    expect(calls).toBe(4);
    const letters = kafka.sends.filter((s) => s.topic === "dlq").flatMap((s) => s.messages);
    expect(letters).toHaveLength(1);
    expect(headerOf(letters[0], "x-sluice-attempts")).toBe("4");
    expect(headerOf(letters[0], "x-sluice-error-message")).toBe("the feature store is down");
    expect(kafka.resolved).toEqual(["0"]);
  });

  it("retries and dead-letters an event whose graph throws what is not an Error (undefined)", async () => {
    const kafka = new ScriptedKafka({ dlq: { topic: "dlq", maxAttempts: 2 } });
    let calls = 0;
    await kafka.start(() => {
      calls++;
      throw undefined;
    });
    await kafka.batch([{ i: 0 }]);
    expect(calls).toBe(2);
    const letters = kafka.sends.filter((s) => s.topic === "dlq").flatMap((s) => s.messages);
    expect(letters.map((l) => headerOf(l, "x-sluice-attempts"))).toEqual(["2"]);
    expect(kafka.resolved).toEqual(["0"]);
  });

  it("gives an event at fault itself (a 4xx) one attempt, and dead-letters it without waiting", async () => {
    const kafka = new ScriptedKafka({ dlq: { topic: "dlq", maxAttempts: 5 } });
    let calls = 0;
    await kafka.start(() => {
      calls++;
      throw new SluiceError("SLUICE_ERR_INPUT", "amount must be a number");
    });
    await kafka.batch([{ i: 0 }]);
    expect(calls).toBe(1);
    expect(headerOf(kafka.sends[0]?.messages[0], "x-sluice-attempts")).toBe("1");
    expect(kafka.sleeps).toEqual([]);
  });

  it("resolves nothing of an event whose retry wait a stop cut short, nor of any after it", async () => {
    const kafka = new ScriptedKafka({ dlq: { topic: "dlq", maxAttempts: 5 } });
    const seen: number[] = [];
    await kafka.start((event) => {
      seen.push(body(event).i);
      if (body(event).i === 1) throw new Error("retry me");
      return body(event);
    });
    kafka.onSleep = () => {
      kafka.running = false;
    };
    await kafka.batch([{ i: 0 }, { i: 1 }, { i: 2 }]);
    expect(seen).toEqual([0, 1]);
    expect(kafka.resolved).toEqual(["0"]);
    expect(kafka.sends).toEqual([]);
    // What is committed on the way out is the next offset to read: the failing event's own.
    expect(kafka.log.filter((l) => l.startsWith("commit "))).toEqual(["commit 1"]);
  });

  it("without a DLQ, resolves nothing of an event whose retry wait a stop cut short, nor of any after it", async () => {
    const kafka = new ScriptedKafka({ maxAttempts: 1 });
    const seen: number[] = [];
    await kafka.start((event) => {
      seen.push(body(event).i);
      if (body(event).i === 1) throw new Error("retry me");
    });
    kafka.onSleep = () => {
      kafka.running = false;
    };
    await kafka.batch([{ i: 0 }, { i: 1 }, { i: 2 }]);
    expect(seen).toEqual([0, 1]);
    expect(kafka.resolved).toEqual(["0"]);
    expect(kafka.log.filter((l) => l.startsWith("commit "))).toEqual(["commit 1"]);
  });

  it("resolves nothing of an event the consumer stopped before its dead letter was written, and writes none", async () => {
    const kafka = new ScriptedKafka({ dlq: { topic: "dlq" } });
    await kafka.start((event) => {
      if (body(event).i !== 1) return;
      kafka.running = false;
      throw new SluiceError("SLUICE_ERR_INPUT", "amount must be a number");
    });
    await kafka.batch([{ i: 0 }, { i: 1 }, { i: 2 }]);
    expect(kafka.resolved).toEqual(["0"]);
    expect(kafka.sends).toEqual([]);
    expect(kafka.log.filter((l) => l.startsWith("commit "))).toEqual(["commit 1"]);
  });

  it("waits 100 ms doubling to 5 s between attempts, each wait jittered below its ceiling", async () => {
    const kafka = new ScriptedKafka({ dlq: { topic: "dlq", maxAttempts: 9 } });
    await kafka.start(() => {
      kafka.log.push("call");
      throw new Error("still down");
    });
    await kafka.batch([{ i: 0 }]);
    // The sleeps between two calls add up to one wait (asked for in slices of at most 500 ms).
    const waits: number[] = [];
    for (const line of kafka.log) {
      if (line === "call") waits.push(0);
      else if (line.startsWith("sleep ")) {
        const ms = Number(line.slice(6));
        expect(ms).toBeLessThanOrEqual(500);
        waits[waits.length - 1] = (waits.at(-1) ?? 0) + ms;
      }
    }
    const ceilings = [100, 200, 400, 800, 1600, 3200, 5000, 5000];
    expect(waits.slice(0, -1)).toHaveLength(ceilings.length);
    ceilings.forEach((ceiling, n) => {
      expect(waits[n]).toBeGreaterThanOrEqual(ceiling / 2);
      expect(waits[n]).toBeLessThanOrEqual(ceiling);
    });
  });
});

describe("a Kafka batch whose gateway counts nothing, scripted", () => {
  it("retries, dead-letters (through a refused write) and resolves all the same without counters", async () => {
    const kafka = new ScriptedKafka({ dlq: { topic: "dlq", maxAttempts: 2 } }, { counting: false });
    kafka.dlqFailures.push(new Error("dlq full"));
    await kafka.start((event) => {
      if (body(event).i === 1) throw new Error("down");
      return body(event);
    });
    await kafka.batch([{ i: 0 }, { i: 1 }]);
    expect(kafka.sends.map((s) => s.topic)).toEqual(["dlq"]);
    expect(kafka.resolved.at(-1)).toBe("1");
  });

  it("without a DLQ retries a failing event past its attempts until it succeeds without counters", async () => {
    const kafka = new ScriptedKafka({}, { counting: false });
    let calls = 0;
    await kafka.start(() => {
      if (++calls < 5) throw new Error("down");
    });
    await kafka.batch([{ i: 0 }]);
    expect(calls).toBe(5);
    expect(kafka.resolved).toEqual(["0"]);
    // The attempts past maxAttempts (3 and 4) each say the event is retried for want of a DLQ.
    expect(kafka.logger.lines.map((l) => l.msg)).toEqual([
      "event failed and there is no dlq topic; retrying",
      "event failed and there is no dlq topic; retrying",
    ]);
  });
});

describe("the stream triggers' backoff", () => {
  it("doubles from the base to the cap, with each wait drawn between half its ceiling and the ceiling", () => {
    for (let attempt = 1; attempt <= 10; attempt++) {
      const ceiling = Math.min(5_000, 100 * 2 ** (attempt - 1));
      const waits = Array.from({ length: 400 }, () => backoffMs(attempt));
      expect(Math.min(...waits)).toBeGreaterThanOrEqual(ceiling / 2);
      expect(Math.max(...waits)).toBeLessThanOrEqual(ceiling);
      // Jittered: spread over the range, not one value (which would herd retries together).
      expect(new Set(waits).size).toBeGreaterThan(20);
      expect(Math.max(...waits) - Math.min(...waits)).toBeGreaterThan(ceiling / 4);
    }
    expect(backoffMs(1, 1_000, 30_000)).toBeGreaterThanOrEqual(500);
    expect(backoffMs(20, 1_000, 30_000)).toBeLessThanOrEqual(30_000);
  });
});
