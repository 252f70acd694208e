import type { Admin, KafkaMessage } from "kafkajs";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SluiceError } from "../../src/errors.js";
import type { GraphDocument, GraphEvent } from "../../src/graph/index.js";
import { decodeBody, encodeBody, errorInfoOf, headerString } from "../../src/triggers/codec.js";
import { HealthState, isUp } from "../../src/triggers/health.js";
import {
  defaultMaxMessageBytes,
  outputTooLarge,
  recordBytes,
  writeLimits,
} from "../../src/triggers/kafka/limits.js";
import { deadLetterOf, eventOf, outputOf, sourceOf } from "../../src/triggers/kafka/message.js";
import { unwrap, wrap } from "../../src/triggers/queue/envelope.js";
import { resolveStream } from "../../src/triggers/queue/stream-url.js";

// The pieces every stream trigger is made of, on their own: no broker needed.

describe("stream message bodies", () => {
  it("are JSON unless their content type says otherwise, and refuse what is not JSON or not UTF-8 as the message's fault", () => {
    expect(decodeBody(Buffer.from('{"a":1}'), undefined)).toEqual({ a: 1 });
    expect(decodeBody(Buffer.from('{"a":1}'), "application/json; charset=utf-8")).toEqual({ a: 1 });
    expect(decodeBody(Buffer.from("[1]"), "application/vnd.x+JSON")).toEqual([1]);
    const raw = Buffer.from("a,b,c");
    expect(decodeBody(raw, "text/csv")).toBe(raw);
    for (const empty of [null, undefined, Buffer.alloc(0)])
      expect(decodeBody(empty, undefined)).toBeUndefined();
    expect(() => decodeBody(Buffer.from("{oops"), undefined)).toThrow(
      expect.objectContaining({
        code: "SLUICE_ERR_INPUT",
        status: 400,
        message: expect.stringMatching(/^message is not valid JSON: /),
      }),
    );
    expect(() => decodeBody(Buffer.from([0x22, 0xff, 0x22]), undefined)).toThrow(
      expect.objectContaining({ status: 400, message: "message is not valid UTF-8 (a JSON body must be)" }),
    );
  });

  it("are written as JSON, bytes as they are, nothing as null", () => {
    expect(encodeBody({ a: [1, "é"] }).toString()).toBe('{"a":[1,"é"]}');
    const bytes = Buffer.from([1, 2, 3]);
    expect(encodeBody(bytes)).toBe(bytes);
    expect(encodeBody(undefined).toString()).toBe("null");
    expect(encodeBody(0).toString()).toBe("0");
  });

  it("read header values as strings: Buffers, strings, the first of a list", () => {
    expect(headerString(Buffer.from("é"))).toBe("é");
    expect(headerString("text")).toBe("text");
    expect(headerString([Buffer.from("first"), "second"])).toBe("first");
    expect(headerString(7)).toBe("7");
    expect(headerString(undefined)).toBeUndefined();
    expect(headerString(null)).toBeUndefined();
  });

  it("put a failure before the graph on the step decode, and keep a step's own", () => {
    expect(errorInfoOf(new SluiceError("SLUICE_ERR_INPUT", "bad"))).toMatchObject({
      step: "decode",
      status: 400,
    });
    expect(errorInfoOf(new Error("boom"))).toMatchObject({
      step: "decode",
      code: "STEP_FAILED",
      status: 500,
    });
  });
});

describe("Kafka messages", () => {
  const batch = { topic: "tx", partition: 3 } as Parameters<typeof sourceOf>[0];
  const message = (over: { key?: Buffer | null; headers?: KafkaMessage["headers"] } = {}): KafkaMessage => ({
    key: Buffer.from("k1"),
    value: Buffer.from('{"amount":5}'),
    headers: { "Content-Type": Buffer.from("application/json"), traceparent: "00-abc" },
    timestamp: "1700000000000",
    attributes: 0,
    offset: "42",
    ...over,
  });

  it("become events with a stable id, the topic as path, headers by lower-case name and the key", () => {
    const source = sourceOf(batch);
    expect(source).toEqual({ topic: "tx", partition: 3, idPrefix: "tx/3/", path: "/tx" });
    expect(eventOf(message(), source)).toEqual({
      id: "tx/3/42",
      body: { amount: 5 },
      path: "/tx",
      method: "POST",
      headers: { "content-type": "application/json", traceparent: "00-abc" },
      key: "k1",
      time: 1_700_000_000_000,
      trigger: { kind: "kafka", name: "tx" },
    });
    expect(eventOf(message({ key: null, headers: undefined }), source)).toMatchObject({
      key: undefined,
      headers: {},
    });
    // A content type other than JSON: the bytes as they are.
    const png = eventOf(message({ headers: { "Content-Type": "image/png" } }), source);
    expect(Buffer.isBuffer(png.body)).toBe(true);
  });

  it("give outputs the input's key, the event id and the trace context the graph left", () => {
    const source = sourceOf(batch);
    const event = eventOf(message(), source);
    expect(outputOf(message(), event, { ok: true })).toEqual({
      key: Buffer.from("k1"),
      value: Buffer.from('{"ok":true}'),
      headers: { "x-sluice-event-id": "tx/3/42", traceparent: "00-abc" },
    });
    const untraced = { ...event, headers: {} };
    expect(outputOf(message(), untraced, 1).headers).toEqual({ "x-sluice-event-id": "tx/3/42" });
  });

  it("become dead letters that carry the message as it came and say where and why it failed", () => {
    const failure = new Error("x".repeat(1500));
    const letter = deadLetterOf(message(), sourceOf(batch), failure, 3);
    expect(letter.key).toEqual(Buffer.from("k1"));
    expect(letter.value).toEqual(Buffer.from('{"amount":5}'));
    expect(letter.headers).toMatchObject({
      traceparent: "00-abc",
      "x-sluice-error-step": "decode",
      "x-sluice-error-code": "STEP_FAILED",
      "x-sluice-error-message": "x".repeat(1000),
      "x-sluice-attempts": "3",
      "x-sluice-source-topic": "tx",
      "x-sluice-source-partition": "3",
      "x-sluice-source-offset": "42",
    });
  });
});

describe("Kafka write limits", () => {
  /** An admin client whose describeConfigs answers `answer` (or fails when it is an Error). */
  const admin = (answer: unknown) =>
    ({
      describeConfigs: async () => {
        if (answer instanceof Error) throw answer;
        return answer;
      },
    }) as unknown as Admin;
  const described = (value: string) => ({
    resources: [{ configEntries: [{ configName: "max.message.bytes", configValue: value }] }],
  });

  it("are asked of the broker for each topic, max.message.bytes only, without synonyms", async () => {
    const asked: unknown[] = [];
    const recording = {
      describeConfigs: async (request: unknown) => {
        asked.push(request);
        return {
          resources: [
            {
              configEntries: [
                { configName: "cleanup.policy", configValue: "delete" },
                { configName: "max.message.bytes", configValue: "5000" },
              ],
            },
          ],
        };
      },
    } as unknown as Admin;
    expect(await writeLimits(recording, ["a", "b"])).toEqual(
      new Map([
        ["a", 5000 - 1024],
        ["b", 5000 - 1024],
      ]),
    );
    expect(asked).toEqual(
      ["a", "b"].map((name) => ({
        resources: [{ type: 2, name, configNames: ["max.message.bytes"] }],
        includeSynonyms: false,
      })),
    );
  });

  it("are the topic's max.message.bytes less the batch's framing, else the broker's default", async () => {
    expect(await writeLimits(admin(described("2000000")), ["a"])).toEqual(new Map([["a", 2_000_000 - 1024]]));
    for (const answer of [new Error("no permission"), described("0"), described("lots"), { resources: [] }]) {
      expect(await writeLimits(admin(answer), ["b", "c"])).toEqual(
        new Map([
          ["b", defaultMaxMessageBytes - 1024],
          ["c", defaultMaxMessageBytes - 1024],
        ]),
      );
    }
  });

  it("estimate a record from above: key, value (strings at three bytes a character), headers and framing", () => {
    expect(recordBytes({ value: null })).toBe(32);
    expect(recordBytes({ key: null, value: undefined } as never)).toBe(32);
    // A header without a value counts its name only.
    expect(recordBytes({ value: null, headers: { h: undefined } })).toBe(32 + 1 + 8);
    expect(recordBytes({ key: Buffer.alloc(10), value: Buffer.alloc(100) })).toBe(142);
    expect(recordBytes({ key: "ab", value: "cde" })).toBe(6 + 9 + 32);
    expect(
      recordBytes({ value: Buffer.alloc(0), headers: { h: "12345", b: Buffer.alloc(3), l: ["ab", "c"] } }),
    ).toBe(32 + (1 + 8 + 5) + (1 + 8 + 3) + (1 + 8 + 3));
  });

  it("make an output too large for its topic the event's own fault (400), on the step output", () => {
    const error = outputTooLarge(5000, "out", 1000);
    expect(error.step).toBe("output");
    expect(error.info).toEqual({
      step: "output",
      code: "OUTPUT_TOO_LARGE",
      message: 'output of about 5000 bytes is larger than topic "out" accepts (1000 bytes a write)',
      status: 400,
    });
  });
});

describe("queue envelopes", () => {
  const event: GraphEvent = {
    id: "e-1",
    body: { x: 1 },
    path: "/",
    method: "POST",
    headers: { "x-request-id": "r-1", traceparent: "00-t", tracestate: "s=1", cookie: "secret" },
    key: "k",
    time: 1234,
    trigger: { kind: "http" },
  };
  const read = (body: unknown): GraphEvent => ({
    ...event,
    id: "q/0/9",
    body,
    headers: { "x-other": "1" },
    time: 99,
    trigger: { kind: "kafka", name: "q" },
  });

  it("carry the event's id, key, time, body and trace headers (only those) across the queue", () => {
    const wrapped = JSON.parse(wrap({ y: 2 }, event).toString());
    expect(wrapped).toEqual({
      full_event_wrapper: true,
      id: "e-1",
      key: "k",
      body: { y: 2 },
      headers: { "x-request-id": "r-1", traceparent: "00-t", tracestate: "s=1" },
      time: 1234,
    });
    expect(unwrap(read(wrapped))).toEqual({
      ...read(wrapped),
      id: "e-1",
      body: { y: 2 },
      key: "k",
      headers: { "x-other": "1", "x-request-id": "r-1", traceparent: "00-t", tracestate: "s=1" },
      time: 1234,
    });
    const { time: _time, ...timeless } = wrapped;
    expect(unwrap(read(timeless)).time).toBe(99);
  });

  it("refuse a message that is not one of ours as the message's fault, naming the stream", () => {
    for (const body of [
      undefined,
      { id: "x" },
      { full_event_wrapper: true },
      { full_event_wrapper: "yes", id: "x" },
    ]) {
      expect(() => unwrap(read(body))).toThrow(
        expect.objectContaining({ status: 400, message: "message on q is not a sluice queue envelope" }),
      );
    }
  });
});

describe("queue stream URLs", () => {
  const doc = (triggers: unknown[] = []) => ({ spec: { triggers } }) as unknown as GraphDocument;
  const kafka = {
    kind: "kafka",
    brokers: ["k1:9092", "k2:9092"],
    topics: ["t"],
    group: "g",
    sasl: { mechanism: "plain", username: "u", password: "p" },
    ssl: true,
  };

  it("take brokers from the URL, else the graph's trigger, else the environment", () => {
    expect(resolveStream("kafka://b1:9092,b2:9092/audit", doc())).toEqual({
      kind: "kafka",
      brokers: ["b1:9092", "b2:9092"],
      topic: "audit",
    });
    expect(resolveStream("kafka://audit", doc([kafka]))).toEqual({
      kind: "kafka",
      brokers: ["k1:9092", "k2:9092"],
      topic: "audit",
      sasl: kafka.sasl,
      ssl: true,
    });
    expect(resolveStream("kafka://audit", doc(), { SLUICE_KAFKA_BROKERS: "e1:1,e2:2" })).toEqual({
      kind: "kafka",
      brokers: ["e1:1", "e2:2"],
      topic: "audit",
    });
    expect(resolveStream("kafka://audit", doc(), {})).toBeUndefined();
    expect(resolveStream("nats://n:4222/sub.x", doc())).toEqual({
      kind: "nats",
      url: "nats://n:4222",
      subject: "sub.x",
    });
    expect(resolveStream("nats://sub.x", doc([{ kind: "nats", url: "nats://t:1", subject: "s" }]))).toEqual({
      kind: "nats",
      url: "nats://t:1",
      subject: "sub.x",
    });
    expect(resolveStream("nats://sub.x", doc(), { SLUICE_NATS_URL: "nats://e:2" })).toEqual({
      kind: "nats",
      url: "nats://e:2",
      subject: "sub.x",
    });
    expect(resolveStream("nats://sub.x", doc(), {})).toBeUndefined();
    expect(resolveStream("memory://x", doc(), {})).toBeUndefined();
    expect(resolveStream("xkafka://audit", doc([kafka]), {})).toBeUndefined();
    expect(resolveStream("kafka://b:9092/audit\nmore", doc(), {})).toBeUndefined();
    // Another cluster than the trigger's gets neither its credentials nor its TLS settings.
    expect(resolveStream("kafka://other:9092/audit", doc([kafka]))).toEqual({
      kind: "kafka",
      brokers: ["other:9092"],
      topic: "audit",
    });
  });

  it("hand the trigger's credentials only to the trigger's own cluster", () => {
    expect(resolveStream("kafka://k1:9092/audit", doc([kafka]))).toMatchObject({
      sasl: kafka.sasl,
      ssl: true,
    });
    const other = resolveStream("kafka://k1:9092,other:9092/audit", doc([kafka]));
    expect(other).not.toHaveProperty("sasl");
    expect(other).not.toHaveProperty("ssl");
    const plain = resolveStream("kafka://audit", doc([{ ...kafka, sasl: undefined, ssl: undefined }]));
    expect(plain).toEqual({ kind: "kafka", brokers: kafka.brokers, topic: "audit" });
    expect(resolveStream("kafka://audit", doc([{ ...kafka, sasl: undefined, ssl: false }]))).toMatchObject({
      ssl: false,
    });
  });
});

describe("a trigger's health", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date("2030-01-01T00:00:00.000Z") });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("starts as starting, and keeps its since until the condition or reason changes", () => {
    const health = new HealthState(1_000);
    expect(health.value).toEqual({ condition: "starting", since: "2030-01-01T00:00:00.000Z" });
    vi.advanceTimersByTime(500);
    health.set("running");
    expect(health.value).toEqual({ condition: "running", since: "2030-01-01T00:00:00.500Z" });
    expect(health.condition).toBe("running");
    vi.advanceTimersByTime(500);
    health.set("running");
    expect(health.value.since).toBe("2030-01-01T00:00:00.500Z");
    health.set("crashed", "consumer crashed: gone");
    expect(health.value).toEqual({
      condition: "crashed",
      reason: "consumer crashed: gone",
      since: "2030-01-01T00:00:01.000Z",
    });
    vi.advanceTimersByTime(100);
    health.set("crashed", "consumer crashed: again");
    expect(health.value.since).toBe("2030-01-01T00:00:01.100Z");
    expect([isUp(health.value), isUp({ condition: "running", since: "" })]).toEqual([false, true]);
  });

  it("reads stalled once a wait is older than stalledAfter, from the wait's first moment, until it moves on", () => {
    const health = new HealthState(1_000);
    health.set("running");
    health.block("tx/0", "offset 5 failed: down");
    vi.advanceTimersByTime(600);
    health.block("tx/0", "offset 5 failed: still down"); // the same wait: its start stays
    expect(health.value.condition).toBe("running");
    vi.advanceTimersByTime(400);
    expect(health.value).toEqual({
      condition: "stalled",
      reason: "tx/0 has made no progress for 1 s: offset 5 failed: still down",
      since: "2030-01-01T00:00:00.000Z",
    });
    health.unblock("tx/0");
    expect(health.value.condition).toBe("running");
    // Only a running trigger stalls: a stopped one says stopped.
    health.block("tx/1", "waiting");
    vi.advanceTimersByTime(5_000);
    health.set("stopped");
    expect(health.value.condition).toBe("stopped");
    expect(new HealthState().stalledAfterMs).toBe(60_000);
  });
});
