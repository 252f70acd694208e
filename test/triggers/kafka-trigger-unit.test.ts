import { afterEach, describe, expect, it, vi } from "vitest";
import { SluiceError } from "../../src/errors.js";
import type { GraphEvent } from "../../src/graph/index.js";
import { recordBytes } from "../../src/triggers/kafka/limits.js";
import { headerOf, ScriptedKafka } from "../helpers/scripted-kafka.js";

// The Kafka trigger's settings, writes, failures and lifecycle on scripted links (no broker);
// kafka-batch.test.ts has the order of writes and offsets. The same against a broker:
// kafka-trigger.test.ts, kafka-write-limits.test.ts, kafka-dlq-write.test.ts, kafka-rebalance.test.ts.

const body = (event: GraphEvent) => event.body as { i: number; bytes?: number };

describe("a Kafka trigger's settings", () => {
  it("run the consumer with the commit policy, concurrency and manual offsets the graph asks for", async () => {
    const kafka = new ScriptedKafka({
      concurrency: 4,
      commit: { everyEvents: 10, everyMs: 250 },
      fromBeginning: true,
    });
    await kafka.start(() => undefined);
    expect(kafka.runs[0]).toMatchObject({
      autoCommit: true,
      autoCommitInterval: 250,
      autoCommitThreshold: 10,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 4,
    });
    expect(kafka.subscriptions).toEqual([{ topics: ["in"], fromBeginning: true }]);
    expect(kafka.trigger.state).toBe("running");
    expect(kafka.trigger.health.condition).toBe("running");
  });

  it("default to 64 partitions at once, commits every 1,000 events or second, from the committed offset", async () => {
    const kafka = new ScriptedKafka();
    await kafka.start(() => undefined);
    expect(kafka.runs[0]).toMatchObject({
      autoCommitInterval: 1000,
      autoCommitThreshold: 1000,
      partitionsConsumedConcurrently: 64,
    });
    expect(kafka.subscriptions).toEqual([{ topics: ["in"], fromBeginning: false }]);
  });

  it("read /regex/ topics as patterns, and other names as they are", async () => {
    const kafka = new ScriptedKafka({ topics: ["/^tx-.*$/", "plain", "/", "//", "/half", "half/"] });
    await kafka.start(() => undefined);
    expect(kafka.subscriptions[0]?.topics).toEqual([/^tx-.*$/, "plain", "/", "//", "/half", "half/"]);
    expect(kafka.trigger.name).toBe("kafka:/^tx-.*$/,plain,/,//,/half,half/");
  });

  it("take maxAttempts from dlq, else from the trigger, else 3", async () => {
    for (const [spec, calls] of [
      [{ dlq: { topic: "dlq", maxAttempts: 2 }, maxAttempts: 5 }, 2],
      [{ dlq: { topic: "dlq" }, maxAttempts: 5 }, 5],
      [{ dlq: { topic: "dlq" } }, 3],
    ] as const) {
      const kafka = new ScriptedKafka(spec);
      let n = 0;
      await kafka.start(() => {
        n++;
        throw new Error("down");
      });
      await kafka.batch([{ i: 0 }]);
      expect({ spec, n }).toEqual({ spec, n: calls });
    }
  });

  it("wait out a topic being created (a retriable error) when subscribing, and give up on any other", async () => {
    const retriable = Object.assign(new Error("This server does not host this topic-partition"), {
      retriable: true,
    });
    const waiting = new ScriptedKafka();
    waiting.subscribeFailures = [retriable, retriable];
    await waiting.start(() => undefined);
    expect(waiting.subscriptions).toHaveLength(1);
    expect(waiting.sleeps).toHaveLength(2);
    for (const ms of waiting.sleeps) expect(ms).toBeLessThanOrEqual(2_000);

    const refused = new ScriptedKafka();
    refused.subscribeFailures = [new Error("not authorized")];
    await expect(refused.start(() => undefined)).rejects.toThrow("not authorized");

    const never = new ScriptedKafka();
    never.subscribeFailures = Array.from({ length: 10 }, () => retriable);
    await expect(never.start(() => undefined)).rejects.toThrow("does not host");
    expect(never.sleeps).toHaveLength(9);
  });
});

describe("a Kafka trigger's writes", () => {
  it("flush outputs and resolve offsets every 500 events within a batch, committing by the policy", async () => {
    const kafka = new ScriptedKafka({ output: { topic: "out" } });
    await kafka.start((event) => body(event));
    await kafka.batch(Array.from({ length: 1200 }, (_, i) => ({ i })));
    expect(kafka.sends.map((s) => s.messages.length)).toEqual([500, 500, 200]);
    expect(kafka.resolved).toEqual(["499", "999", "1199"]);
    expect(kafka.log.filter((l) => l === "commit")).toHaveLength(3);
    expect(kafka.outcomes.filter((o) => o === "ok")).toHaveLength(1200);
  });

  it("write no output for an event whose graph answered nothing, and still resolve it", async () => {
    const kafka = new ScriptedKafka({ output: { topic: "out" } });
    await kafka.start((event) => (body(event).i === 1 ? undefined : body(event)));
    await kafka.batch([{ i: 0 }, { i: 1 }, { i: 2 }]);
    expect(kafka.sends[0]?.messages.map((m) => JSON.parse(String(m.value)).i)).toEqual([0, 2]);
    expect(kafka.resolved).toEqual(["2"]);
  });

  it("split outputs into writes the output topic takes", async () => {
    const kafka = new ScriptedKafka({ output: { topic: "out" } });
    kafka.maxMessageBytes = 1024 + 400; // 400 bytes of records a write
    await kafka.start((event) => ({ i: body(event).i, pad: "x".repeat(40) }));
    await kafka.batch(Array.from({ length: 6 }, (_, i) => ({ i })));
    const sizes = kafka.sends.map((s) => s.messages.length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(6);
    expect(sizes.length).toBeGreaterThan(1);
    expect(Math.max(...sizes)).toBeLessThan(6);
  });

  it("dead-letter at once an event whose own output is larger than the topic takes", async () => {
    const kafka = new ScriptedKafka({ output: { topic: "out" }, dlq: { topic: "dlq", maxAttempts: 5 } });
    kafka.maxMessageBytes = 1024 + 500;
    let calls = 0;
    await kafka.start((event) => {
      calls++;
      return { pad: "x".repeat(body(event).bytes ?? 1) };
    });
    await kafka.batch([{ i: 0, bytes: 2000 }]);
    expect(calls).toBe(1);
    const letter = kafka.sends.find((s) => s.topic === "dlq")?.messages[0];
    expect(headerOf(letter, "x-sluice-error-step")).toBe("output");
    expect(headerOf(letter, "x-sluice-error-code")).toBe("OUTPUT_TOO_LARGE");
    expect(kafka.sends.filter((s) => s.topic === "out")).toEqual([]);
  });
});

describe("a Kafka trigger's failures", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("without a DLQ, retries a failing event (1 s doubling) until it succeeds, logging each failure", async () => {
    const kafka = new ScriptedKafka({ output: { topic: "out" } });
    let calls = 0;
    await kafka.start((event) => {
      kafka.log.push("call");
      if (++calls <= 4) throw new SluiceError("SLUICE_ERR_INPUT", "not yet");
      return body(event);
    });
    await kafka.batch([{ i: 0 }]);
    expect(calls).toBe(5);
    expect(kafka.outcomes).toEqual(["failed", "failed", "failed", "failed", "ok"]);
    const failures = kafka.logger.lines.filter(
      (l) => l.msg === "event failed and there is no dlq topic; retrying",
    );
    expect(failures).toHaveLength(4);
    expect(failures[3]?.obj).toMatchObject({ topic: "in", partition: 0, offset: "0", attempt: 4 });
    // Between calls: waits of 1 s doubling (jittered between half and all of each).
    const waits: number[] = [];
    for (const line of kafka.log) {
      if (line === "call") waits.push(0);
      else if (line.startsWith("sleep "))
        waits[waits.length - 1] = (waits.at(-1) ?? 0) + Number(line.slice(6));
    }
    [1000, 2000, 4000, 8000].forEach((ceiling, n) => {
      expect(waits[n]).toBeGreaterThanOrEqual(ceiling / 2);
      expect(waits[n]).toBeLessThanOrEqual(ceiling);
    });
    expect(kafka.resolved).toEqual(["0"]);
    expect(kafka.sends).toHaveLength(1);
  });

  it("counts retries and dead letters", async () => {
    const kafka = new ScriptedKafka({ dlq: { topic: "dlq", maxAttempts: 3 } });
    await kafka.start(() => {
      throw new Error("down");
    });
    await kafka.batch([{ i: 0 }]);
    expect(kafka.outcomes).toEqual(["retried", "retried", "dead_lettered"]);
  });

  it("keeps a dead letter the DLQ refuses, retrying its write (1 s doubling) with the partition waiting", async () => {
    const kafka = new ScriptedKafka({ dlq: { topic: "dlq", maxAttempts: 1 } });
    kafka.dlqFailures = [new Error("topic gone"), new Error("topic gone")];
    await kafka.start(() => {
      throw new Error("poison");
    });
    const healths: string[] = [];
    kafka.onSleep = () => healths.push(kafka.trigger.health.reason ?? kafka.trigger.health.condition);
    await kafka.batch([{ i: 0 }]);
    expect(kafka.outcomes).toEqual(["dlq_failed", "dlq_failed", "dead_lettered"]);
    expect(kafka.log.filter((l) => l.startsWith("refused"))).toHaveLength(2);
    expect(kafka.logger.lines.filter((l) => l.level === "error").map((l) => l.msg)).toEqual([
      'dead letter not written to "dlq": topic gone; retrying',
      'dead letter not written to "dlq": topic gone; retrying',
    ]);
    expect(kafka.sleeps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(500 + 1000);
    expect(kafka.resolved).toEqual(["0"]);
    expect(kafka.trigger.health.condition).toBe("running");
  });

  it("reads stalled while one event has kept its partition waiting longer than stalledAfter", async () => {
    vi.useFakeTimers();
    const kafka = new ScriptedKafka({ stalledAfter: "2s" });
    let calls = 0;
    await kafka.start(() => {
      if (++calls < 3) throw new Error("feature store down");
      return undefined;
    });
    const seen: string[] = [];
    // Each wait takes 1.5 s on the fake clock: the second one finds the partition 3 s behind.
    const reasons: (string | undefined)[] = [];
    kafka.onSleep = () => {
      vi.advanceTimersByTime(1_500);
      seen.push(kafka.trigger.health.condition);
      reasons.push(kafka.trigger.health.reason);
    };
    await kafka.batch([{ i: 0 }]);
    expect(seen).toEqual(["running", "stalled"]);
    expect(reasons[1]).toBe("in/0 has made no progress for 3 s: offset 0 failed: feature store down");
    expect(kafka.trigger.health.condition).toBe("running");
  });

  it("does not stop a stop: a dead letter's wait that sees the consumer stopping leaves the event uncommitted", async () => {
    const kafka = new ScriptedKafka({ dlq: { topic: "dlq", maxAttempts: 1 } });
    kafka.dlqFailures = [new Error("topic gone")];
    await kafka.start(() => {
      throw new Error("poison");
    });
    kafka.onSleep = () => {
      kafka.running = false;
    };
    await kafka.batch([{ i: 0 }, { i: 1 }]);
    expect(kafka.resolved).toEqual([]);
    expect(kafka.sends).toEqual([]);
  });
});

describe("a Kafka trigger's consumer, when it crashes", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("is left to kafkajs when kafkajs restarts it, and reads crashed meanwhile", async () => {
    vi.useFakeTimers();
    const kafka = new ScriptedKafka();
    await kafka.start(() => undefined);
    kafka.emit("consumer.crash", { error: new Error("broker gone"), restart: true });
    expect(kafka.trigger.health).toMatchObject({
      condition: "crashed",
      reason: "consumer crashed: broker gone",
    });
    expect(kafka.logger.lines.map((l) => l.msg)).toContain(
      "consumer crashed: broker gone; kafkajs restarts it",
    );
    await vi.advanceTimersByTimeAsync(60_000);
    expect(kafka.runs).toHaveLength(1);
    // Back in its group and no crash for a few seconds: running again.
    kafka.emit("consumer.group_join");
    await vi.advanceTimersByTimeAsync(4_000);
    expect(kafka.trigger.health.condition).toBe("crashed");
    await vi.advanceTimersByTimeAsync(1_000);
    expect(kafka.trigger.health.condition).toBe("running");
  });

  it("is restarted with backoff when kafkajs gives up on it, and runs again once it made progress", async () => {
    vi.useFakeTimers();
    const kafka = new ScriptedKafka();
    await kafka.start((event) => body(event));
    kafka.emit("consumer.crash", { error: new Error("write refused for good"), restart: false });
    expect(kafka.trigger.health.condition).toBe("crashed");
    await vi.advanceTimersByTimeAsync(400);
    expect(kafka.runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(600); // the first restart comes within 0.5 to 1 s
    expect(kafka.runs).toHaveLength(2);
    expect(kafka.trigger.health.condition).toBe("crashed");
    await kafka.batch([{ i: 0 }]);
    expect(kafka.trigger.health.condition).toBe("running");
  });

  it("says in its log which trigger crashed, how often, and that the restart worked", async () => {
    vi.useFakeTimers();
    const kafka = new ScriptedKafka();
    await kafka.start(() => undefined);
    kafka.emit("consumer.crash", { error: new Error("write refused"), restart: false });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(kafka.runs).toHaveLength(2);
    expect(kafka.logger.lines).toEqual([
      {
        level: "error",
        obj: { err: expect.any(Error), trigger: "kafka:in", crashes: 1, restartInMs: expect.any(Number) },
        msg: "consumer crashed: write refused; restarting it",
      },
      { level: "warn", obj: { trigger: "kafka:in" }, msg: "consumer restarted after a crash" },
    ]);
    // Rejoined its group with no crash since: running again after a few seconds.
    kafka.emit("consumer.group_join");
    await vi.advanceTimersByTimeAsync(5_000);
    expect(kafka.trigger.health.condition).toBe("running");
    // A crash after that starts counting from one again: its restart comes within a second.
    kafka.emit("consumer.crash", { error: new Error("again"), restart: false });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(kafka.runs).toHaveLength(3);
  });

  it("keeps trying, longer each time, when a restart cannot even rejoin", async () => {
    vi.useFakeTimers();
    const kafka = new ScriptedKafka();
    await kafka.start(() => undefined);
    kafka.runFailures = [new Error("group coordinator unavailable")];
    kafka.emit("consumer.crash", { error: new Error("write refused"), restart: false });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(kafka.trigger.health.reason).toBe(
      "consumer crashed: write refused; restart failed: group coordinator unavailable",
    );
    expect(kafka.runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2_000); // the second wait is 1 to 2 s
    expect(kafka.runs).toHaveLength(2);
  });

  it("is not restarted once the trigger drains, and crashes while draining are ignored", async () => {
    vi.useFakeTimers();
    const kafka = new ScriptedKafka();
    await kafka.start(() => undefined);
    kafka.emit("consumer.crash", { error: new Error("gone"), restart: false });
    await kafka.trigger.drain();
    expect(kafka.trigger.state).toBe("draining");
    expect(kafka.trigger.health.condition).toBe("stopped");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(kafka.runs).toHaveLength(1);
    kafka.emit("consumer.crash", { error: new Error("again"), restart: false });
    expect(kafka.trigger.health.condition).toBe("stopped");
  });
});

describe("a Kafka trigger's lifecycle", () => {
  it("drains (stops the consumer) then closes (disconnects), each once", async () => {
    const kafka = new ScriptedKafka({ output: { topic: "out" } });
    expect(kafka.trigger.state).toBe("created");
    expect(kafka.trigger.health.condition).toBe("starting");
    await kafka.trigger.drain(); // not running yet: nothing to drain
    expect(kafka.trigger.state).toBe("created");
    await kafka.start(() => undefined);
    await kafka.trigger.close();
    expect(kafka.trigger.state).toBe("closed");
    expect(kafka.running).toBe(false);
    await kafka.trigger.close();
    expect(kafka.trigger.state).toBe("closed");
  });

  it("connects a producer only when it writes outputs or dead letters, and reads the write limit of the output topic only", async () => {
    const plain = new ScriptedKafka();
    await plain.start(() => undefined);
    expect(plain.trigger.kind).toBe("kafka");
    expect(plain.calls).toEqual(["consumer connect"]);
    const dlq = new ScriptedKafka({ dlq: { topic: "dlq" } });
    await dlq.start(() => undefined);
    expect(dlq.calls).toEqual(["producer connect", "consumer connect"]);
    const out = new ScriptedKafka({ output: { topic: "out" } });
    await out.start(() => undefined);
    expect(out.calls).toEqual(["producer connect", "admin connect", "admin disconnect", "consumer connect"]);
  });

  it("disconnects its consumer and producer once on close, and reads stopped", async () => {
    const kafka = new ScriptedKafka({ output: { topic: "out" } });
    await kafka.start(() => undefined);
    await kafka.trigger.close();
    await kafka.trigger.close();
    expect(kafka.calls.filter((c) => c.endsWith("disconnect") && !c.startsWith("admin"))).toEqual([
      "consumer disconnect",
      "producer disconnect",
    ]);
    expect(kafka.trigger.health.condition).toBe("stopped");
    const never = new ScriptedKafka();
    await never.trigger.close();
    expect(never.trigger.health.condition).toBe("stopped");
  });

  it("ignores a crash before it started running", () => {
    const kafka = new ScriptedKafka();
    kafka.emit("consumer.crash", { error: new Error("early"), restart: false });
    expect(kafka.trigger.health.condition).toBe("starting");
  });
});

describe("a Kafka batch's bounds", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** The estimated size of the output an event `{ i }` gets from a graph that answers `{ i }`. */
  const outputSize = (i: number) =>
    recordBytes({
      key: Buffer.from(`k${i}`),
      value: Buffer.from(JSON.stringify({ i })),
      headers: { "x-sluice-event-id": `in/0/${i}` },
    });

  it("fills a write to exactly the output topic's limit, and takes an output of exactly the limit", async () => {
    const kafka = new ScriptedKafka({ output: { topic: "out" } });
    kafka.maxMessageBytes = 1024 + outputSize(0) + outputSize(1);
    await kafka.start((event) => ({ i: body(event).i }));
    await kafka.batch([{ i: 0 }, { i: 1 }, { i: 2 }, { i: 3 }]);
    expect(kafka.sends.map((s) => s.messages.length)).toEqual([2, 2]);
    const single = new ScriptedKafka({ output: { topic: "out" } });
    single.maxMessageBytes = 1024 + outputSize(0);
    await single.start((event) => ({ i: body(event).i }));
    await single.batch([{ i: 0 }]);
    expect(single.sends.map((s) => s.messages.length)).toEqual([1]);
  });

  it("writes outputs and resolves offsets at least every second within a batch", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const kafka = new ScriptedKafka({ output: { topic: "out" } });
    await kafka.start((event) => {
      vi.setSystemTime(Date.now() + 1_000);
      return body(event);
    });
    await kafka.batch([{ i: 0 }, { i: 1 }, { i: 2 }]);
    expect(kafka.resolved).toEqual(["0", "1", "2"]);
  });

  it("runs no event of a batch after the consumer stopped", async () => {
    const kafka = new ScriptedKafka();
    const seen: number[] = [];
    await kafka.start((event) => {
      seen.push(body(event).i);
      kafka.running = false;
    });
    await kafka.batch([{ i: 0 }, { i: 1 }]);
    expect(seen).toEqual([0]);
  });

  it("dead-letters an event with the error of its last attempt", async () => {
    const kafka = new ScriptedKafka({ dlq: { topic: "dlq", maxAttempts: 2 } });
    let calls = 0;
    await kafka.start(() => {
      throw new Error(++calls === 1 ? "first" : "last");
    });
    await kafka.batch([{ i: 0 }]);
    expect(headerOf(kafka.sends[0]?.messages[0], "x-sluice-error-message")).toBe("last");
  });

  it("logs a dead letter the DLQ refused with the trigger, partition and how many times, waiting longer each time", async () => {
    const kafka = new ScriptedKafka({ dlq: { topic: "dlq", maxAttempts: 1 } });
    kafka.dlqFailures.push(new Error("dlq full"), new Error("dlq full"));
    await kafka.start(() => {
      throw new Error("down");
    });
    await kafka.batch([{ i: 0 }]);
    const refused = kafka.logger.lines.filter((l) => l.level === "error");
    expect(refused.map((l) => l.obj)).toMatchObject([
      { trigger: "kafka:in", where: "in/0", failures: 1 },
      { trigger: "kafka:in", where: "in/0", failures: 2 },
    ]);
    // The wait after each refusal (asked for in slices): 1 s doubling, jittered down to half.
    const waits: number[] = [];
    for (const line of kafka.log) {
      if (line === "refused dlq") waits.push(0);
      else if (line.startsWith("sleep "))
        waits[waits.length - 1] = (waits.at(-1) ?? 0) + Number(line.slice(6));
    }
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeGreaterThanOrEqual(500);
    expect(waits[0]).toBeLessThanOrEqual(1_000);
    expect(waits[1]).toBeGreaterThanOrEqual(1_000);
    expect(waits[1]).toBeLessThanOrEqual(2_000);
  });
});
