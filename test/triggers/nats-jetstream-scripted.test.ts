import { afterEach, describe, expect, it, vi } from "vitest";
import { SluiceError } from "../../src/errors.js";
import type { GraphEvent } from "../../src/graph/index.js";
import { headersFrom, ScriptedNats } from "../helpers/scripted-nats.js";

// The JetStream trigger on scripted links (no server): what it acks, naks, terminates and
// publishes, and in which order. The same guarantees against a real nats-server are in
// nats-jetstream.test.ts, nats-jetstream-hardening.test.ts and nats-outage.test.ts.

const body = (event: GraphEvent) => event.body as { i: number };
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** Lets the event loop turn a while: time for what should not happen to show. */
async function idle(): Promise<void> {
  for (let turn = 0; turn < 20; turn++) await settle();
}

/** Waits, turn by turn of the event loop, until `check` holds (vi.waitFor would run fake timers). */
async function until(check: () => boolean): Promise<void> {
  for (let turn = 0; turn < 1_000 && !check(); turn++) await settle();
  expect(check()).toBe(true);
}

/** A handler the test finishes by hand, event by event (by body `i`). */
function manual() {
  const waiting = new Map<number, (value: unknown) => void>();
  return {
    handler: (event: GraphEvent) =>
      new Promise((resolve) => {
        waiting.set(body(event).i, resolve);
      }),
    running: () => [...waiting.keys()],
    finish(i: number, value: unknown = { i }) {
      waiting.get(i)?.(value);
      waiting.delete(i);
    },
  };
}

/** Makes the trigger's waits last until the test calls `resume`: a recreation then waits where the test wants. */
function holdWaits(nats: ScriptedNats) {
  const held: { resume: (() => void) | undefined } = { resume: undefined };
  nats.links.sleep = () =>
    new Promise<void>((resolve) => {
      held.resume = resolve;
    });
  return held;
}

afterEach(() => {
  vi.useRealTimers();
});

describe("a JetStream trigger starting, scripted", () => {
  it("adds its durable consumer with explicit acks from the start of the stream, and never gives a message up itself", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.jetStreamTrigger({ subject: "tx.in" }, { durable: "scorer", ackWait: "2s" });
    expect(trigger.name).toBe("jetstream:S/scorer");
    expect(trigger.kind).toBe("nats");
    await trigger.start(() => undefined);
    expect(nats.consumers).toEqual([
      {
        stream: "S",
        config: {
          durable_name: "scorer",
          ack_policy: "explicit",
          deliver_policy: "all",
          filter_subject: "tx.in",
          max_deliver: -1,
          ack_wait: 2_000_000_000,
        },
      },
    ]);
    expect(trigger.state).toBe("running");
    expect(trigger.health.condition).toBe("running");
    await trigger.close();
  });

  it("waits 30 s for an ack unless told, and pulls 64 ahead, or twice its concurrency when that is more", async () => {
    const nats = new ScriptedNats();
    const plain = nats.jetStreamTrigger();
    await plain.start(() => undefined);
    expect(nats.consumers[0]?.config.ack_wait).toBe(30_000_000_000);
    expect(nats.pulls[0]?.options).toEqual({ max_messages: 64, expires: 10_000 });
    const wide = nats.jetStreamTrigger({ concurrency: 40 });
    await wide.start(() => undefined);
    expect(nats.pulls[1]?.options).toEqual({ max_messages: 80, expires: 10_000 });
    await plain.close();
    await wide.close();
  });

  it("refuses to start on a stream that is not there, saying which", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.jetStreamTrigger({}, { stream: "ORDERS" });
    const failure = await trigger.start(() => undefined).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SluiceError);
    expect((failure as SluiceError).code).toBe("SLUICE_ERR_INTERNAL");
    expect((failure as Error).message).toBe('JetStream stream "ORDERS" is not there: stream not found');
    expect(trigger.state).toBe("created");
    expect(nats.consumers).toEqual([]);
  });
});

describe("a JetStream message, scripted", () => {
  it("is handed to the graph as an event with a stable id, the subject path and the stream's timestamp", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.jetStreamTrigger();
    const events: GraphEvent[] = [];
    await trigger.start((event) => {
      events.push(event);
    });
    nats.deliver(
      nats.jsMessage(
        12,
        { i: 1 },
        {
          subject: "tx.in",
          timestampNanos: 1_700_000_000_123_456_000,
          headers: headersFrom({ "X-Request-Id": "r-1" }),
        },
      ),
    );
    await vi.waitFor(() => expect(events).toHaveLength(1));
    expect(events[0]).toEqual({
      id: "S/12",
      body: { i: 1 },
      path: "/tx.in",
      method: "POST",
      headers: { "x-request-id": "r-1" },
      key: undefined,
      time: 1_700_000_000_123,
      trigger: { kind: "nats", name: "tx.in" },
    });
    await trigger.close();
  });

  it("hands the graph raw bytes when the message's content type is not JSON", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.jetStreamTrigger();
    const bodies: unknown[] = [];
    await trigger.start((event) => {
      bodies.push(event.body);
    });
    const raw = nats.jsMessage(1, null, { headers: headersFrom({ "Content-Type": "image/png" }) });
    Object.assign(raw, { data: new Uint8Array([0xff, 0x00]) });
    nats.deliver(raw);
    await vi.waitFor(() => expect(bodies).toHaveLength(1));
    expect([...(bodies[0] as Buffer)]).toEqual([0xff, 0x00]);
    await trigger.close();
  });

  it("is acked once its event finished, and counted ok", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.jetStreamTrigger();
    const work = manual();
    await trigger.start(work.handler);
    nats.deliver(nats.jsMessage(1, { i: 1 }));
    await vi.waitFor(() => expect(work.running()).toEqual([1]));
    expect(nats.lines("ack")).toEqual([]);
    work.finish(1);
    await vi.waitFor(() => expect(nats.lines("ack")).toEqual(["ack 1"]));
    expect(nats.outcomes).toEqual(["ok"]);
    await trigger.close();
  });

  it("is acked only after its output was published to a stream and the stream acknowledged it", async () => {
    const nats = new ScriptedNats();
    nats.captured.add("tx.out");
    const trigger = nats.jetStreamTrigger({ output: { subject: "tx.out" } } as never);
    await trigger.start((event) => ({ ...body(event), done: true }));
    nats.holdPublishes();
    nats.deliver(nats.jsMessage(5, { i: 5 }, { headers: headersFrom({ traceparent: "00-t-s-01" }) }));
    await vi.waitFor(() => expect(nats.publishesWaiting).toBe(1));
    expect(nats.lines("ack")).toEqual([]);
    nats.release();
    await vi.waitFor(() => expect(nats.lines("ack")).toEqual(["ack 5"]));
    expect(nats.log.indexOf("published tx.out")).toBeLessThan(nats.log.indexOf("ack 5"));
    const [out] = nats.published;
    expect(JSON.parse(out?.text ?? "")).toEqual({ i: 5, done: true });
    expect(out?.headers?.get("x-sluice-event-id")).toBe("S/5");
    expect(out?.headers?.get("traceparent")).toBe("00-t-s-01");
    await trigger.close();
  });

  it("publishes its output on core NATS when no stream captures the output subject, then acks", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.jetStreamTrigger({ output: { subject: "tx.out" } } as never);
    await trigger.start((event) => body(event));
    nats.deliver(nats.jsMessage(1, { i: 1 }, { headers: headersFrom({ traceparent: "00-t-s-01" }) }));
    await vi.waitFor(() => expect(nats.lines("ack")).toEqual(["ack 1"]));
    expect(nats.log.slice(0, 2)).toEqual(["add d", "publish tx.out"]);
    expect(nats.lines("js publish")).toEqual([]);
    expect(nats.published[0]?.headers?.get("x-sluice-event-id")).toBe("S/1");
    expect(nats.published[0]?.headers?.get("traceparent")).toBe("00-t-s-01");
    await trigger.close();
  });

  it("publishes nothing for an event whose graph answers nothing, and acks it", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.jetStreamTrigger({ output: { subject: "tx.out" } } as never);
    await trigger.start(() => undefined);
    nats.deliver(nats.jsMessage(1, { i: 1 }));
    await vi.waitFor(() => expect(nats.lines("ack")).toEqual(["ack 1"]));
    expect(nats.published).toEqual([]);
    await trigger.close();
  });

  it("is redelivered later, not acked nor dead-lettered, when its output cannot be published, however many deliveries it took", async () => {
    const nats = new ScriptedNats();
    nats.captured.add("tx.out");
    nats.publishFailures.set("tx.out", [new Error("no responders")]);
    const trigger = nats.jetStreamTrigger(
      { output: { subject: "tx.out" }, dlq: { subject: "tx.dlq" } } as never,
      {
        maxDeliver: 2,
      },
    );
    await trigger.start((event) => body(event));
    nats.deliver(nats.jsMessage(3, { i: 3 }, { deliveryCount: 9 }));
    await vi.waitFor(() => expect(nats.lines("nak")).toHaveLength(1));
    const delay = Number(nats.lines("nak")[0]?.split(" ")[2]);
    // backoff after the 9th delivery: jittered in the upper half of 5 s.
    expect(delay).toBeGreaterThanOrEqual(2_500);
    expect(delay).toBeLessThanOrEqual(5_000);
    expect(nats.lines("ack")).toEqual([]);
    expect(nats.lines("term")).toEqual([]);
    expect(nats.outcomes).toEqual([]);
    const warning = nats.logger.lines.find((l) => l.level === "warn");
    expect(warning?.msg).toBe("output not published; redelivering");
    expect(warning?.obj).toMatchObject({ subject: "in", seq: 3 });
    await trigger.close();
  });

  it("is nak'ed with a growing delay and counted retried when its event fails with deliveries left", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.jetStreamTrigger({ dlq: { subject: "tx.dlq" } } as never, { maxDeliver: 3 });
    await trigger.start(() => {
      throw new Error("the feature store is down");
    });
    nats.deliver(
      nats.jsMessage(1, { i: 1 }, { deliveryCount: 1 }),
      nats.jsMessage(2, { i: 2 }, { deliveryCount: 2 }),
    );
    await vi.waitFor(() => expect(nats.lines("nak")).toHaveLength(2));
    const [first, second] = nats.lines("nak").map((l) => Number(l.split(" ")[2]));
    expect(first).toBeGreaterThanOrEqual(50);
    expect(first).toBeLessThanOrEqual(100);
    expect(second).toBeGreaterThanOrEqual(100);
    expect(second).toBeLessThanOrEqual(200);
    expect(nats.outcomes).toEqual(["retried", "retried"]);
    expect(nats.published).toEqual([]);
    await trigger.close();
  });

  it("after maxDeliver deliveries is published to the DLQ with where and why (on one line), then terminated", async () => {
    const nats = new ScriptedNats();
    nats.captured.add("tx.dlq");
    const trigger = nats.jetStreamTrigger({ dlq: { subject: "tx.dlq" } } as never, { maxDeliver: 3 });
    await trigger.start(() => {
      throw new Error("the feature store\r\n\r\nis down");
    });
    nats.holdPublishes();
    nats.deliver(nats.jsMessage(7, { i: 7 }, { subject: "tx.in", deliveryCount: 3 }));
    await vi.waitFor(() => expect(nats.publishesWaiting).toBe(1));
    expect(nats.lines("term")).toEqual([]);
    nats.release();
    await vi.waitFor(() => expect(nats.lines("term")).toEqual(["term 7"]));
    expect(nats.log.indexOf("published tx.dlq")).toBeLessThan(nats.log.indexOf("term 7"));
    const [letter] = nats.published;
    expect(letter?.subject).toBe("tx.dlq");
    expect(JSON.parse(letter?.text ?? "")).toEqual({ i: 7 });
    const h = letter?.headers;
    expect(h?.get("x-sluice-event-id")).toBe("S/7");
    expect(h?.get("x-sluice-error-step")).toBe("decode");
    expect(h?.get("x-sluice-error-code")).toBe("STEP_FAILED");
    expect(h?.get("x-sluice-error-message")).toBe("the feature store is down");
    expect(h?.get("x-sluice-attempts")).toBe("3");
    expect(h?.get("x-sluice-source-subject")).toBe("tx.in");
    expect(h?.get("x-sluice-source-sequence")).toBe("7");
    expect(nats.outcomes).toEqual(["dead_lettered"]);
    const warning = nats.logger.lines.find((l) => l.msg === "event dead-lettered");
    expect(warning?.level).toBe("warn");
    expect(warning?.obj).toMatchObject({ subject: "tx.in", seq: 7, deliveries: 3 });
    await trigger.close();
  });

  it("dead-letters on core NATS when no stream captures the DLQ subject, with the error message cut to 1000 characters", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.jetStreamTrigger({ dlq: { subject: "tx.dlq" } } as never, { maxDeliver: 1 });
    await trigger.start(() => {
      throw new Error("x".repeat(1_500));
    });
    nats.deliver(nats.jsMessage(1, { i: 1 }));
    await vi.waitFor(() => expect(nats.lines("term")).toEqual(["term 1"]));
    expect(nats.lines("publish")).toEqual(["publish tx.dlq"]);
    expect(nats.published[0]?.headers?.get("x-sluice-error-message")).toBe("x".repeat(1_000));
    await trigger.close();
  });

  it("gives up at once on an event at fault itself (a 4xx), terminating it after its first delivery", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.jetStreamTrigger({ dlq: { subject: "tx.dlq" } } as never, { maxDeliver: 5 });
    await trigger.start(() => {
      throw new SluiceError("SLUICE_ERR_INPUT", "amount must be a number");
    });
    nats.deliver(nats.jsMessage(1, { i: 1 }));
    await vi.waitFor(() => expect(nats.lines("term")).toEqual(["term 1"]));
    expect(nats.lines("nak")).toEqual([]);
    expect(nats.published[0]?.headers?.get("x-sluice-attempts")).toBe("1");
    expect(nats.published[0]?.headers?.get("x-sluice-error-code")).toBe("BAD_INPUT");
    await trigger.close();
  });

  it("dead-letters a payload that is not JSON at once, as the message's own fault, keeping its bytes", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.jetStreamTrigger({ dlq: { subject: "tx.dlq" } } as never);
    let calls = 0;
    await trigger.start(() => {
      calls++;
    });
    const bad = nats.jsMessage(4, null);
    Object.assign(bad, { data: new TextEncoder().encode("{oops") });
    nats.deliver(bad, nats.jsMessage(5, { i: 5 }));
    await vi.waitFor(() => expect(nats.lines("ack")).toEqual(["ack 5"]));
    expect(nats.lines("term")).toEqual(["term 4"]);
    expect(calls).toBe(1);
    expect(nats.published[0]?.text).toBe("{oops");
    expect(nats.published[0]?.headers?.get("x-sluice-error-step")).toBe("decode");
    await trigger.close();
  });

  it("is terminated without a DLQ write when no DLQ is set, and still logged and counted", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.jetStreamTrigger({}, { maxDeliver: 1 });
    await trigger.start(() => {
      throw new Error("down");
    });
    nats.deliver(nats.jsMessage(1, { i: 1 }));
    await vi.waitFor(() => expect(nats.lines("term")).toEqual(["term 1"]));
    expect(nats.published).toEqual([]);
    expect(nats.outcomes).toEqual(["dead_lettered"]);
    await trigger.close();
  });

  it("retries 5 deliveries unless told: the 5th failure is dead-lettered", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.jetStreamTrigger();
    await trigger.start(() => {
      throw new Error("down");
    });
    nats.deliver(
      nats.jsMessage(1, { i: 1 }, { deliveryCount: 4 }),
      nats.jsMessage(2, { i: 2 }, { deliveryCount: 5 }),
    );
    await vi.waitFor(() => expect(nats.outcomes).toHaveLength(2));
    expect(nats.lines("nak 1")).toHaveLength(1);
    expect(nats.lines("term")).toEqual(["term 2"]);
    await trigger.close();
  });

  it("stays on the stream when the DLQ refuses its dead letter: nak'ed, not terminated, with an error logged", async () => {
    const nats = new ScriptedNats();
    nats.captured.add("tx.dlq");
    nats.publishFailures.set("tx.dlq", [new Error("stream full")]);
    const trigger = nats.jetStreamTrigger({ dlq: { subject: "tx.dlq" } } as never, { maxDeliver: 1 });
    await trigger.start(() => {
      throw new Error("down");
    });
    nats.deliver(nats.jsMessage(1, { i: 1 }, { deliveryCount: 1 }));
    await vi.waitFor(() => expect(nats.lines("nak")).toHaveLength(1));
    expect(nats.lines("term")).toEqual([]);
    const error = nats.logger.lines.find((l) => l.level === "error");
    expect(error?.msg).toBe("dead letter not written; the message stays on the stream");
    expect(error?.obj).toMatchObject({ subject: "in", seq: 1, deliveries: 1 });
    await trigger.close();
  });
});

describe("JetStream messages in flight, scripted", () => {
  it("runs at most `concurrency` events at once, in arrival order, one unless told", async () => {
    for (const [concurrency, expected] of [
      [undefined, [1]],
      [2, [1, 2]],
    ] as const) {
      const nats = new ScriptedNats();
      const trigger = nats.jetStreamTrigger(concurrency === undefined ? {} : { concurrency });
      const work = manual();
      await trigger.start(work.handler);
      nats.deliver(nats.jsMessage(1, { i: 1 }), nats.jsMessage(2, { i: 2 }), nats.jsMessage(3, { i: 3 }));
      await vi.waitFor(() => expect(work.running()).toEqual(expected));
      await settle();
      expect(work.running()).toEqual(expected);
      work.finish(1);
      await vi.waitFor(() => expect(work.running()).toEqual(expected.map((i) => i + 1)));
      work.finish(2);
      await vi.waitFor(() => expect(work.running()).toEqual([3]));
      work.finish(3);
      await vi.waitFor(() => expect(nats.lines("ack")).toEqual(["ack 1", "ack 2", "ack 3"]));
      await trigger.close();
    }
  });

  it("keeps every message taken alive every half ackWait, running or waiting, until it is acked", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const nats = new ScriptedNats();
    const trigger = nats.jetStreamTrigger({}, { ackWait: "4s" });
    const work = manual();
    await trigger.start(work.handler);
    nats.deliver(nats.jsMessage(1, { i: 1 }), nats.jsMessage(2, { i: 2 }));
    await until(() => work.running().length === 1);
    vi.advanceTimersByTime(1_999);
    expect(nats.lines("working")).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(nats.lines("working")).toEqual(["working 1", "working 2"]);
    work.finish(1);
    await until(() => nats.lines("ack").length === 1);
    vi.advanceTimersByTime(2_000);
    expect(nats.lines("working")).toEqual(["working 1", "working 2", "working 2"]);
    work.finish(2);
    await until(() => nats.lines("ack").length === 2);
    await trigger.close();
    vi.advanceTimersByTime(10_000);
    expect(nats.lines("working")).toHaveLength(3);
  });

  it("keeps messages alive at least every 100 ms when ackWait is shorter than 200 ms", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const nats = new ScriptedNats();
    const trigger = nats.jetStreamTrigger({}, { ackWait: "50ms" });
    const work = manual();
    await trigger.start(work.handler);
    nats.deliver(nats.jsMessage(1, { i: 1 }));
    await until(() => work.running().length === 1);
    vi.advanceTimersByTime(99);
    expect(nats.lines("working")).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(nats.lines("working")).toEqual(["working 1"]);
    work.finish(1);
    await trigger.close();
  });

  it("on drain stops pulling, finishes and acks what runs, and leaves what waits on the server unacked", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.jetStreamTrigger({ output: { subject: "tx.out" } } as never);
    const work = manual();
    await trigger.start(work.handler);
    nats.deliver(nats.jsMessage(1, { i: 1 }), nats.jsMessage(2, { i: 2 }));
    await vi.waitFor(() => expect(work.running()).toEqual([1]));
    const closed = trigger.close();
    await vi.waitFor(() => expect(nats.pulls[0]?.closed).toBe(true));
    expect(trigger.state).toBe("draining");
    expect(trigger.health.condition).toBe("stopped");
    work.finish(1);
    await closed;
    expect(work.running()).toEqual([]);
    expect(nats.log.slice(-4)).toEqual(["publish tx.out", "ack 1", "flush", "close"]);
    expect(nats.log.join()).not.toMatch(/ 2\b/);
    expect(trigger.state).toBe("closed");
  });

  it("on drain starts no message that was waiting, even one whose turn comes before the pull has ended", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.jetStreamTrigger();
    const work = manual();
    await trigger.start(work.handler);
    nats.deliver(nats.jsMessage(1, { i: 1 }), nats.jsMessage(2, { i: 2 }));
    await vi.waitFor(() => expect(work.running()).toEqual([1]));
    const ended = nats.holdCloses();
    const closed = trigger.close();
    work.finish(1);
    await vi.waitFor(() => expect(nats.lines("ack")).toEqual(["ack 1"]));
    await settle();
    ended();
    await closed;
    expect(nats.lines("ack")).toEqual(["ack 1"]);
    expect(work.running()).toEqual([]);
  });

  it("after its consumer is recreated starts no message the old pull still held, and keeps it alive no more", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const nats = new ScriptedNats();
    const trigger = nats.jetStreamTrigger({}, { ackWait: "2s" });
    const work = manual();
    await trigger.start(work.handler);
    nats.deliver(nats.jsMessage(1, { i: 1 }), nats.jsMessage(2, { i: 2 }));
    await until(() => work.running().length === 1);
    const ended = nats.holdCloses();
    nats.status("consumer_deleted");
    await until(() => nats.pulls[0]?.closed === true);
    work.finish(1);
    await until(() => nats.lines("ack").length === 1);
    await settle();
    ended();
    await until(() => nats.pulls.length === 2);
    await settle();
    expect(work.running()).toEqual([]);
    vi.advanceTimersByTime(1_000);
    expect(nats.lines("working")).toEqual([]);
    await trigger.close();
  });

  it("on drain after its consumer was recreated waits for what the old pull is still running", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.jetStreamTrigger();
    const work = manual();
    await trigger.start(work.handler);
    nats.deliver(nats.jsMessage(1, { i: 1 }));
    await until(() => work.running().length === 1);
    nats.status("consumer_deleted");
    await until(() => nats.recreated === 1);
    let closed = false;
    const closing = trigger.close().then(() => {
      closed = true;
    });
    await idle();
    expect(closed).toBe(false);
    work.finish(1);
    await closing;
    expect(nats.log.slice(-3)).toEqual(["ack 1", "flush", "close"]);
  });

  it("drains and closes once, and closes a trigger that never started without a connection", async () => {
    const nats = new ScriptedNats();
    const idle = nats.jetStreamTrigger();
    await idle.close();
    expect(nats.log).toEqual([]);
    const trigger = nats.jetStreamTrigger();
    await trigger.start(() => undefined);
    await trigger.close();
    const before = nats.log.length;
    await trigger.close();
    await trigger.drain();
    expect(nats.log).toHaveLength(before);
  });
});

describe("a JetStream pull's status, scripted", () => {
  it("recreates a durable consumer deleted under it, pulls from the new one, and says so", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.jetStreamTrigger();
    const seen: number[] = [];
    await trigger.start((event) => {
      seen.push(body(event).i);
    });
    nats.status("consumer_deleted");
    await vi.waitFor(() => expect(nats.pulls).toHaveLength(2));
    expect(nats.pulls[0]?.closed).toBe(true);
    expect(nats.consumers).toHaveLength(2);
    await vi.waitFor(() => expect(nats.recreated).toBe(1));
    const error = nats.logger.lines.find((l) => l.level === "error");
    expect(error?.msg).toBe('durable consumer "d" of stream "S" is gone (consumer deleted); recreating it');
    expect(error?.obj).toEqual({ trigger: "jetstream:S/d" });
    const warning = nats.logger.lines.find((l) => l.level === "warn");
    expect(warning?.msg).toBe('durable consumer "d" recreated');
    expect(warning?.obj).toEqual({ trigger: "jetstream:S/d" });
    expect(trigger.health.condition).toBe("running");
    nats.deliver(nats.jsMessage(1, { i: 1 }));
    await vi.waitFor(() => expect(nats.lines("ack")).toEqual(["ack 1"]));
    expect(seen).toEqual([1]);
    await trigger.close();
  });

  it("while its stream is missing reports crashed with why, retries with backoff, and runs again once it is back", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.jetStreamTrigger();
    await trigger.start(() => undefined);
    nats.addFailures.push(new Error("stream not found"), new Error("stream not found"));
    let healthSeen: { condition: string; reason?: string } | undefined;
    const sleep = nats.links.sleep;
    nats.links.sleep = async (ms) => {
      healthSeen ??= trigger.health;
      return sleep(ms);
    };
    nats.status("stream_not_found");
    await vi.waitFor(() => expect(nats.recreated).toBe(1));
    expect(healthSeen).toMatchObject({
      condition: "crashed",
      reason:
        'durable consumer "d" of stream "S" is gone (stream not found); cannot recreate it: stream not found',
    });
    const waits = nats.lines("sleep").map((l) => Number(l.slice(6)));
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeGreaterThanOrEqual(250);
    expect(waits[0]).toBeLessThanOrEqual(500);
    expect(waits[1]).toBeGreaterThanOrEqual(500);
    expect(waits[1]).toBeLessThanOrEqual(1_000);
    expect(trigger.health).toMatchObject({ condition: "running" });
    expect(trigger.health.reason).toBeUndefined();
    await trigger.close();
  });

  it("reads crashed, saying why, while it recreates its consumer", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.jetStreamTrigger();
    await trigger.start(() => undefined);
    const ended = nats.holdCloses();
    nats.status("consumer_deleted");
    await until(() => nats.pulls[0]?.closed === true);
    expect(trigger.health).toMatchObject({
      condition: "crashed",
      reason: 'durable consumer "d" of stream "S" is gone (consumer deleted); recreating it',
    });
    ended();
    await until(() => nats.recreated === 1);
    expect(trigger.health.condition).toBe("running");
    await trigger.close();
  });

  it("heeds nothing the pull it replaced still says: neither that the consumer is gone nor missed heartbeats", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const nats = new ScriptedNats();
    nats.statusesOutliveClose = true;
    const trigger = nats.jetStreamTrigger();
    await trigger.start(() => undefined);
    nats.status("consumer_deleted");
    await until(() => nats.recreated === 1);
    const old = nats.pulls[0];
    old?.statuses.push({ type: "heartbeats_missed", count: 2 });
    old?.statuses.push({ type: "consumer_deleted" });
    await idle();
    vi.advanceTimersByTime(60_000);
    expect(trigger.health.condition).toBe("running");
    expect(nats.lines("add")).toHaveLength(2);
    expect(nats.pulls).toHaveLength(2);
    old?.statuses.end();
    await trigger.close();
  });

  it("does not recreate its consumer when told it is gone while it drains", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.jetStreamTrigger();
    await trigger.start(() => undefined);
    const ended = nats.holdCloses();
    const closed = trigger.close();
    await until(() => nats.pulls[0]?.closed === true);
    nats.status("consumer_deleted");
    await idle();
    expect(trigger.health.condition).toBe("stopped");
    ended();
    await closed;
    expect(nats.lines("add")).toHaveLength(1);
    expect(nats.logger.lines).toEqual([]);
  });

  it("recreates once however many statuses say the consumer is gone while it does", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.jetStreamTrigger();
    await trigger.start(() => undefined);
    const held = holdWaits(nats);
    nats.addFailures.push(new Error("stream not found"));
    nats.status("consumer_not_found");
    nats.status("consumer_deleted");
    await vi.waitFor(() => expect(held.resume).toBeDefined());
    await settle();
    expect(nats.lines("add")).toHaveLength(2);
    held.resume?.();
    await vi.waitFor(() => expect(nats.recreated).toBe(1));
    expect(nats.lines("add")).toHaveLength(3);
    expect(nats.pulls).toHaveLength(2);
    await trigger.close();
  });

  it("stops recreating once it is stopped", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.jetStreamTrigger();
    await trigger.start(() => undefined);
    const held = holdWaits(nats);
    nats.addFailures.push(new Error("stream not found"));
    nats.status("stream_not_found");
    await vi.waitFor(() => expect(held.resume).toBeDefined());
    await trigger.close();
    held.resume?.();
    await settle();
    expect(nats.lines("add")).toHaveLength(2);
    expect(nats.pulls).toHaveLength(1);
    expect(nats.recreated).toBe(0);
  });

  it("turns stalled after missed heartbeats for longer than stalledAfter, and running again on a heartbeat", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const nats = new ScriptedNats();
    const trigger = nats.jetStreamTrigger({ stalledAfter: "30s" } as never);
    await trigger.start(() => undefined);
    nats.status("heartbeats_missed", 2);
    await settle();
    expect(trigger.health.condition).toBe("running");
    vi.advanceTimersByTime(30_000);
    expect(trigger.health).toMatchObject({
      condition: "stalled",
      reason: "jetstream:S/d has made no progress for 30 s: 2 heartbeats missed from the server",
    });
    nats.status("heartbeat");
    await settle();
    expect(trigger.health.condition).toBe("running");
    nats.status("heartbeats_missed", 1);
    await settle();
    vi.advanceTimersByTime(30_000);
    expect(trigger.health.condition).toBe("stalled");
    nats.status("next");
    await settle();
    expect(trigger.health.condition).toBe("running");
    await trigger.close();
  });

  it("is stalled after a minute of missed heartbeats unless told", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const nats = new ScriptedNats();
    const trigger = nats.jetStreamTrigger();
    await trigger.start(() => undefined);
    nats.status("heartbeats_missed", 1);
    await settle();
    vi.advanceTimersByTime(59_999);
    expect(trigger.health.condition).toBe("running");
    vi.advanceTimersByTime(1);
    expect(trigger.health.condition).toBe("stalled");
    await trigger.close();
  });

  it("recreates its consumer each time the server says it is gone, whichever way it says so", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.jetStreamTrigger();
    await trigger.start(() => undefined);
    for (const [i, type] of ["consumer_not_found", "consumer_deleted", "stream_not_found"].entries()) {
      nats.status(type);
      await vi.waitFor(() => expect(nats.recreated).toBe(i + 1));
    }
    expect(nats.pulls).toHaveLength(4);
    await trigger.close();
  });

  it("goes on through statuses it has no use for", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.jetStreamTrigger();
    await trigger.start(() => undefined);
    nats.status("debug");
    nats.status("consumer_deleted");
    await vi.waitFor(() => expect(nats.recreated).toBe(1));
    expect(nats.pulls).toHaveLength(2);
    await trigger.close();
  });
});

describe("a JetStream trigger whose gateway counts nothing, scripted", () => {
  it("acks, naks, dead-letters and recreates all the same without counters", async () => {
    const nats = new ScriptedNats({ counting: false });
    const trigger = nats.jetStreamTrigger({ dlq: { subject: "tx.dlq" } } as never, { maxDeliver: 2 });
    await trigger.start((event) => {
      if (body(event).i > 1) throw new Error("down");
    });
    nats.deliver(
      nats.jsMessage(1, { i: 1 }),
      nats.jsMessage(2, { i: 2 }, { deliveryCount: 1 }),
      nats.jsMessage(3, { i: 3 }, { deliveryCount: 2 }),
    );
    await vi.waitFor(() => expect(nats.lines("term")).toEqual(["term 3"]));
    expect(nats.lines("ack")).toEqual(["ack 1"]);
    expect(nats.lines("nak")).toHaveLength(1);
    nats.status("consumer_deleted");
    await vi.waitFor(() => expect(nats.pulls).toHaveLength(2));
    await vi.waitFor(() => expect(trigger.health.condition).toBe("running"));
    await trigger.close();
  });
});
