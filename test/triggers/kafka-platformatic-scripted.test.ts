import { EventEmitter } from "node:events";
import { afterEach, describe, expect, it, onTestFinished, vi } from "vitest";
import { SluiceError } from "../../src/errors.js";
import type { GraphEvent, KafkaTrigger as KafkaSpec } from "../../src/graph/index.js";
import {
  consumedOf,
  type PlatformaticMessage,
  type PlatformaticProducer,
  platformaticOptions,
  producedOf,
} from "../../src/triggers/kafka/platformatic-client.js";
import {
  PlatformaticKafkaTrigger,
  type PlatformaticLinks,
} from "../../src/triggers/kafka/platformatic-trigger.js";
import { memoryLogger } from "../helpers/graphs.js";

// The Kafka trigger on @platformatic/kafka, on scripted links (no broker): what it consumes,
// writes and commits, and how it makes its consumer again after a crash. The same against a
// real broker is in the kafka-*.test.ts files run with `client: platformatic`.

type Listener = (...args: unknown[]) => void;

/** A scripted group member: the test tells it joins and hands its stream messages. */
class ScriptedConsumer {
  readonly listeners = new Map<string, Listener[]>();
  readonly stream = Object.assign(new EventEmitter(), {
    pause: () => this.log.push("pause"),
    resume: () => this.log.push("resume"),
    close: async () => {
      this.log.push("stream close");
    },
  });
  consumed: Record<string, unknown> | undefined;
  assignments: { topic: string; partitions: number[] }[] | undefined;

  constructor(
    readonly group: string,
    readonly log: string[],
    readonly refuse: Error | undefined,
    readonly closeFailure: Error | undefined = undefined,
  ) {}

  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }

  async consume(options: Record<string, unknown>) {
    this.consumed = options;
    if (this.refuse) throw this.refuse;
    return this.stream;
  }

  async commit({
    offsets,
  }: {
    offsets: { topic: string; partition: number; offset: bigint; leaderEpoch: number }[];
  }) {
    this.log.push(
      `commit ${offsets.map((o) => `${o.topic}/${o.partition}@${o.offset}:${o.leaderEpoch}`).join(" ")}`,
    );
  }

  async close() {
    this.log.push("consumer close");
    if (this.closeFailure) throw this.closeFailure;
  }

  /** The group joined, with these partitions (or none told: then read from `assignments`). */
  join(assignments?: { topic: string; partitions: number[] }[]): void {
    for (const listener of this.listeners.get("consumer:group:join") ?? []) listener({ assignments });
  }

  /** A message of `topic`/`partition` at `offset` with a JSON body. */
  send(topic: string, partition: number, offset: number, body: unknown): void {
    const message = {
      topic,
      partition,
      offset: BigInt(offset),
      key: undefined,
      value: Buffer.from(JSON.stringify(body)),
      headers: new Map<string, Buffer>(),
      timestamp: 1_700_000_000_000n,
    };
    this.stream.emit("data", message as unknown as PlatformaticMessage);
  }
}

/** Scripted links: every consumer made, what the producer wrote, in order with everything else in `log`. */
function scripted(
  spec: Partial<KafkaSpec> = {},
  options: { consumeFailures?: Error[]; closeFailures?: Error[]; sendFailures?: Error[] } = {},
) {
  const log: string[] = [];
  const consumers: ScriptedConsumer[] = [];
  const sends: { topic: string; values: string[] }[] = [];
  const logger = memoryLogger();
  const links: PlatformaticLinks = {
    consumer: (group) => {
      const consumer = new ScriptedConsumer(
        group,
        log,
        options.consumeFailures?.shift(),
        options.closeFailures?.shift(),
      );
      consumers.push(consumer);
      return consumer as unknown as ReturnType<PlatformaticLinks["consumer"]>;
    },
    producer: () => {
      log.push("producer");
      return {
        send: async ({ messages }: { messages: { topic: string; value?: Buffer | string }[] }) => {
          const topic = messages[0]?.topic ?? "";
          log.push(`send ${topic} ${messages.length}`);
          const failure = options.sendFailures?.shift();
          if (failure) throw failure;
          sends.push({ topic, values: messages.map((m) => String(m.value)) });
          return {};
        },
        close: async () => {
          log.push("producer close");
        },
      } as unknown as PlatformaticProducer;
    },
    writeLimit: async (topic) => {
      log.push(`limit ${topic}`);
      return 1_000_000;
    },
    sleep: async (ms) => {
      log.push(`sleep ${ms}`);
    },
  };
  const trigger = new PlatformaticKafkaTrigger(
    {
      kind: "kafka",
      brokers: ["scripted:9092"],
      topics: ["in"],
      group: "g",
      client: "platformatic",
      ...spec,
    } as KafkaSpec,
    { graph: "scripted", logger },
    links,
  );
  return { trigger, log, consumers, sends, logger };
}

const settle = async (turns = 5) => {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
};

afterEach(() => {
  vi.useRealTimers();
});

describe("a Kafka trigger on @platformatic/kafka, scripted", () => {
  it("joins its group and streams from the committed offsets, the earliest when there are none and fromBeginning", async () => {
    const { trigger, consumers, log } = scripted({ fromBeginning: true });
    expect(trigger.name).toBe("kafka:in");
    await trigger.start(() => undefined);
    expect(consumers.map((c) => c.group)).toEqual(["g"]);
    expect(consumers[0]?.consumed).toEqual({
      topics: ["in"],
      mode: "committed",
      fallbackMode: "earliest",
      autocommit: false,
    });
    // Neither an output nor a DLQ: no producer.
    expect(log).toEqual([]);
    expect(trigger.state).toBe("running");
    expect(trigger.health.condition).toBe("running");
    await trigger.close();
  });

  it("streams from the latest offset when a partition has none and fromBeginning is not set", async () => {
    const { trigger, consumers } = scripted();
    await trigger.start(() => undefined);
    expect(consumers[0]?.consumed?.fallbackMode).toBe("latest");
    await trigger.close();
  });

  it("takes topic names only, refusing /patterns/ with the trigger's name", () => {
    expect(() => scripted({ topics: ["in", "/tx-.*/"] })).toThrow(
      new SluiceError(
        "SLUICE_ERR_GRAPH_INVALID",
        "trigger kafka:in,/tx-.*/: client: platformatic takes topic names, not /patterns/ (client: kafkajs does)",
      ),
    );
  });

  it("makes a producer for outputs and reads the output topic's write limit at start; a DLQ alone needs no limit", async () => {
    const out = scripted({ output: { topic: "out" } } as Partial<KafkaSpec>);
    await out.trigger.start(() => undefined);
    expect(out.log).toEqual(["producer", "limit out"]);
    await out.trigger.close();
    const dlq = scripted({ dlq: { topic: "dlq" } } as Partial<KafkaSpec>);
    await dlq.trigger.start(() => undefined);
    expect(dlq.log).toEqual(["producer"]);
    await dlq.trigger.close();
    expect(dlq.log.at(-1)).toBe("producer close");
  });

  it("runs the messages of its assigned partitions, writes their outputs, and commits them with no leader epoch when it drains", async () => {
    const { trigger, consumers, log, sends } = scripted({ output: { topic: "out" } } as Partial<KafkaSpec>);
    const seen: unknown[] = [];
    await trigger.start((event: GraphEvent) => {
      seen.push(event.body);
      return { done: event.body };
    });
    const consumer = consumers[0] as ScriptedConsumer;
    consumer.join([{ topic: "in", partitions: [0, 1] }]);
    consumer.send("in", 0, 5, { i: 5 });
    consumer.send("in", 1, 9, { i: 9 });
    consumer.send("in", 2, 0, { i: 0 });
    await settle();
    expect(seen).toEqual([{ i: 5 }, { i: 9 }]);
    expect(sends.map((s) => s.topic)).toEqual(["out", "out"]);
    expect(sends[0]?.values).toEqual(['{"done":{"i":5}}']);
    await trigger.close();
    expect(log.filter((l) => l.startsWith("commit"))).toEqual(["commit in/0@6:-1 in/1@10:-1"]);
    expect(log.at(-1)).toBe("producer close");
    expect(log.indexOf("pause")).toBeLessThan(log.indexOf("stream close"));
    expect(log.indexOf("stream close")).toBeLessThan(log.indexOf("consumer close"));
    expect(trigger.state).toBe("closed");
    expect(trigger.health.condition).toBe("stopped");
  });

  it("reads the assignment from the consumer when the join does not tell it", async () => {
    const { trigger, consumers } = scripted();
    const seen: unknown[] = [];
    await trigger.start((event: GraphEvent) => {
      seen.push(event.body);
    });
    const consumer = consumers[0] as ScriptedConsumer;
    consumer.assignments = [{ topic: "in", partitions: [3] }];
    consumer.join();
    consumer.send("in", 3, 0, { i: 1 });
    await settle();
    expect(seen).toEqual([{ i: 1 }]);
    await trigger.close();
  });

  it("closes a consumer whose stream could not be opened, and fails start with why", async () => {
    const refused = new Error("group authorization failed");
    const { trigger, log } = scripted({}, { consumeFailures: [refused] });
    await expect(trigger.start(() => undefined)).rejects.toBe(refused);
    expect(log).toEqual(["consumer close"]);
  });

  it("after its stream fails lets go of the consumer, stream first, reports crashed, and makes a new one after 1 s or so", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { trigger, consumers, log, logger } = scripted();
    await trigger.start(() => undefined);
    const first = consumers[0] as ScriptedConsumer;
    first.join([{ topic: "in", partitions: [0] }]);
    first.stream.emit("error", new Error("connection lost"));
    await settle();
    expect(log).toEqual(["stream close", "consumer close"]);
    expect(trigger.health).toMatchObject({
      condition: "crashed",
      reason: "consumer crashed: connection lost",
    });
    expect(logger.lines[0]?.msg).toBe("consumer crashed: connection lost; restarting it");
    // A second failure of the same stream is the same crash.
    first.stream.emit("error", new Error("again"));
    await settle();
    expect(consumers).toHaveLength(1);
    expect(logger.lines).toHaveLength(1);
    expect(log).toEqual(["stream close", "consumer close"]);
    await vi.advanceTimersByTimeAsync(1_000);
    await settle();
    expect(consumers).toHaveLength(2);
    const second = consumers[1] as ScriptedConsumer;
    second.join([{ topic: "in", partitions: [0] }]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(trigger.health.condition).toBe("running");
    await trigger.close();
    expect(log.slice(-2)).toEqual(["stream close", "consumer close"]);
  });

  it("commits nothing through a consumer that is being made again: the offsets wait for the next", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { trigger, consumers, log, logger } = scripted({
      commit: { everyEvents: 1 },
    } as Partial<KafkaSpec>);
    let finish: (() => void) | undefined;
    await trigger.start(
      () =>
        new Promise<void>((resolve) => {
          finish = resolve;
        }),
    );
    const first = consumers[0] as ScriptedConsumer;
    first.join([{ topic: "in", partitions: [0] }]);
    first.send("in", 0, 0, {});
    await settle();
    first.stream.emit("error", new Error("connection lost"));
    finish?.();
    await settle();
    expect(log.filter((l) => l.startsWith("commit"))).toEqual([]);
    await trigger.close();
    const warning = logger.lines.find(
      (l) => l.msg === "offsets not committed; trying again with the next commit",
    );
    expect((warning?.obj as { err?: Error } | undefined)?.err?.message).toBe(
      "the consumer is being made again",
    );
  });

  it("goes on through a join that tells no assignment while the consumer knows none either", async () => {
    const { trigger, consumers } = scripted();
    await trigger.start(() => undefined);
    consumers[0]?.join();
    expect(trigger.health.condition).toBe("running");
    await trigger.close();
  });

  it("drains and closes once: the stream paused once, never resumed, the consumer and producer closed once", async () => {
    const { trigger, log } = scripted({ dlq: { topic: "dlq" } } as Partial<KafkaSpec>);
    await trigger.start(() => undefined);
    const draining = trigger.drain();
    expect(trigger.state).toBe("draining");
    await draining;
    expect(trigger.health.condition).toBe("stopped");
    await trigger.drain();
    expect(log.filter((l) => l === "pause")).toHaveLength(1);
    expect(log).not.toContain("resume");
    await trigger.close();
    await trigger.close();
    expect(log.filter((l) => l === "consumer close")).toHaveLength(1);
    expect(log.filter((l) => l === "producer close")).toHaveLength(1);
  });
});

/** A handler that holds the events whose body `i` is listed until the test lets each go. */
function gated(held: number[]) {
  const waiting = new Map<number, () => void>();
  return {
    handler: (event: GraphEvent) => {
      const { i } = event.body as { i: number };
      if (!held.includes(i)) return undefined;
      return new Promise<undefined>((resolve) => waiting.set(i, () => resolve(undefined)));
    },
    holding: (i: number) => waiting.has(i),
    finish: (i: number) => waiting.get(i)?.(),
  };
}

/**
 * A trigger whose partition 0 runs a batch of 5,001 messages, held at its first (`i: 1`) until
 * the test finishes it, with the stream paused for it.
 */
async function runningABigBatch() {
  const { trigger, consumers, log } = scripted();
  const work = gated([0, 1]);
  await trigger.start(work.handler);
  const consumer = consumers[0] as ScriptedConsumer;
  consumer.join([{ topic: "in", partitions: [0] }]);
  for (let offset = 0; offset <= 5_001; offset++) consumer.send("in", 0, offset, { i: offset });
  work.finish(0);
  await settle();
  expect(work.holding(1)).toBe(true);
  expect(log.filter((l) => l === "pause")).toEqual(["pause"]);
  return { trigger, consumer, log, work };
}

describe("a Kafka trigger on @platformatic/kafka, its lifecycle, scripted", () => {
  it("waits between the attempts of a failing event, as the backoff says", async () => {
    const { trigger, consumers, log } = scripted({
      dlq: { topic: "dlq", maxAttempts: 2 },
    } as Partial<KafkaSpec>);
    await trigger.start(() => {
      throw new Error("down");
    });
    const consumer = consumers[0] as ScriptedConsumer;
    consumer.join([{ topic: "in", partitions: [0] }]);
    consumer.send("in", 0, 0, { i: 0 });
    await settle();
    const waits = log.filter((l) => l.startsWith("sleep ")).map((l) => Number(l.slice(6)));
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThanOrEqual(50);
    expect(waits[0]).toBeLessThanOrEqual(100);
    expect(log.indexOf("sleep")).toBeLessThan(log.indexOf("send dlq 1"));
    await trigger.close();
  });

  it("pauses its stream while more than 5,000 messages wait, and resumes it once half of them ran", async () => {
    const { trigger, consumers, log } = scripted();
    const work = gated([0]);
    await trigger.start(work.handler);
    const consumer = consumers[0] as ScriptedConsumer;
    consumer.join([{ topic: "in", partitions: [0] }]);
    for (let offset = 0; offset < 5_000; offset++) consumer.send("in", 0, offset, { i: offset });
    expect(log).toEqual([]);
    consumer.send("in", 0, 5_000, { i: 5_000 });
    expect(log).toEqual(["pause"]);
    work.finish(0);
    await settle();
    expect(log.filter((l) => l === "pause" || l === "resume")).toEqual(["pause", "resume"]);
    await trigger.close();
  });

  it("keeps its stream paused when the drain's last batches free room", async () => {
    const { trigger, log, work } = await runningABigBatch();
    const drained = trigger.drain();
    work.finish(1);
    await drained;
    expect(log.filter((l) => l === "pause")).toHaveLength(2);
    expect(log).not.toContain("resume");
    await trigger.close();
  });

  it("after a crash while its stream was paused, lets the old consumer's last batch finish: nothing resumed or failed, and still crashed", async () => {
    const { trigger, consumer, log, work } = await runningABigBatch();
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", listener);
    onTestFinished(() => {
      process.off("unhandledRejection", listener);
    });
    consumer.stream.emit("error", new Error("connection lost"));
    work.finish(1);
    await settle();
    expect(unhandled).toEqual([]);
    expect(log.filter((l) => l === "pause" || l === "resume")).toEqual(["pause"]);
    expect(trigger.health.condition).toBe("crashed");
    await trigger.close();
  });

  it("reads stopped while it drains, even when its consumer joins its group meanwhile", async () => {
    const { trigger, consumers } = scripted();
    const work = gated([0]);
    await trigger.start(work.handler);
    const consumer = consumers[0] as ScriptedConsumer;
    consumer.join([{ topic: "in", partitions: [0] }]);
    consumer.send("in", 0, 0, { i: 0 });
    const drained = trigger.drain();
    consumer.join([{ topic: "in", partitions: [0] }]);
    expect(trigger.health.condition).toBe("stopped");
    work.finish(0);
    await drained;
    expect(trigger.health.condition).toBe("stopped");
    await trigger.close();
  });

  it("runs again as soon as the consumer made again after a crash resolves an offset, before it settled in its group", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { trigger, consumers } = scripted();
    await trigger.start(() => undefined);
    (consumers[0] as ScriptedConsumer).stream.emit("error", new Error("connection lost"));
    await vi.advanceTimersByTimeAsync(1_000);
    await settle();
    const second = consumers[1] as ScriptedConsumer;
    second.join([{ topic: "in", partitions: [0] }]);
    expect(trigger.health.condition).toBe("crashed");
    second.send("in", 0, 0, { i: 0 });
    await settle();
    expect(trigger.health.condition).toBe("running");
    await trigger.close();
  });

  it("counts a batch whose output cannot be written as a crash: the consumer is let go of and made again from the committed offsets", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { trigger, consumers, log, sends } = scripted({ output: { topic: "out" } } as Partial<KafkaSpec>, {
      sendFailures: [new Error("not leader for partition")],
    });
    await trigger.start((event: GraphEvent) => event.body);
    const first = consumers[0] as ScriptedConsumer;
    first.join([{ topic: "in", partitions: [0] }]);
    first.send("in", 0, 0, { i: 0 });
    await settle();
    expect(trigger.health).toMatchObject({
      condition: "crashed",
      reason: "consumer crashed: not leader for partition",
    });
    expect(log.filter((l) => l.endsWith("close"))).toEqual(["stream close", "consumer close"]);
    await vi.advanceTimersByTimeAsync(1_000);
    await settle();
    const second = consumers[1] as ScriptedConsumer;
    second.join([{ topic: "in", partitions: [0] }]);
    second.send("in", 0, 0, { i: 0 });
    await settle();
    expect(sends.map((s) => s.values)).toEqual([['{"i":0}']]);
    await trigger.close();
  });

  it("logs a crashed consumer that does not close cleanly, and makes a new one all the same", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const refused = new Error("leave group refused");
    const { trigger, consumers, logger } = scripted({}, { closeFailures: [refused] });
    await trigger.start(() => undefined);
    (consumers[0] as ScriptedConsumer).stream.emit("error", new Error("connection lost"));
    await settle();
    expect(logger.lines.find((l) => l.level === "warn")).toEqual({
      level: "warn",
      obj: { err: refused, trigger: "kafka:in" },
      msg: "crashed consumer not closed cleanly",
    });
    await vi.advanceTimersByTimeAsync(1_000);
    await settle();
    expect(consumers).toHaveLength(2);
    await trigger.close();
  });

  it("closes nothing again, and stays stopped, when its stream fails after it closed", async () => {
    const { trigger, consumers, log } = scripted();
    await trigger.start(() => undefined);
    await trigger.close();
    (consumers[0] as ScriptedConsumer).stream.emit("error", new Error("socket closed"));
    await settle();
    expect(log).toEqual(["pause", "stream close", "consumer close"]);
    expect(trigger.health.condition).toBe("stopped");
  });
});

describe("the @platformatic/kafka client settings and messages", () => {
  it("connect with sluice's client id unless the connection names one, patiently, with SASL and TLS as the trigger says", () => {
    expect(platformaticOptions({ brokers: ["b1:9092", "b2:9092"] }, "sluice-g")).toStrictEqual({
      clientId: "sluice-g",
      bootstrapBrokers: ["b1:9092", "b2:9092"],
      retries: 20,
      retryDelay: 200,
    });
    const tls = { ca: "pem" };
    expect(
      platformaticOptions(
        {
          brokers: ["b:9093"],
          clientId: "mine",
          sasl: { mechanism: "scram-sha-256", username: "u", password: "p" },
          ssl: tls,
        } as never,
        "sluice-g",
      ),
    ).toStrictEqual({
      clientId: "mine",
      bootstrapBrokers: ["b:9093"],
      retries: 20,
      retryDelay: 200,
      sasl: { mechanism: "SCRAM-SHA-256", username: "u", password: "p" },
      tls,
    });
    expect(platformaticOptions({ brokers: ["b:9093"], ssl: true } as never, "c").tls).toStrictEqual({});
    expect("tls" in platformaticOptions({ brokers: ["b:9093"], ssl: false } as never, "c")).toBe(false);
  });

  it("read a consumed message as kafkajs's shape: no key is null, no headers is none, offsets and times in decimal", () => {
    const base = {
      topic: "t",
      partition: 0,
      offset: 12n,
      timestamp: 1_700_000_000_000n,
      value: Buffer.from("v"),
    };
    expect(
      consumedOf({ ...base, key: undefined, headers: new Map() } as unknown as PlatformaticMessage),
    ).toStrictEqual({
      key: null,
      value: base.value,
      headers: undefined,
      offset: "12",
      timestamp: "1700000000000",
    });
    const key = Buffer.from("k");
    const h = Buffer.from("1");
    expect(
      consumedOf({ ...base, key, headers: new Map([["x-a", h]]) } as unknown as PlatformaticMessage),
    ).toMatchObject({ key, headers: { "x-a": h } });
  });

  it("write kafkajs-shaped messages with no key as keyless", () => {
    expect(producedOf("out", [{ key: null, value: "v", headers: { a: "1" } }])).toStrictEqual([
      { topic: "out", key: undefined, value: "v", headers: { a: "1" } },
    ]);
    expect(producedOf("out", [{ key: "k", value: null }])).toStrictEqual([
      { topic: "out", key: "k", value: undefined, headers: undefined },
    ]);
  });
});
