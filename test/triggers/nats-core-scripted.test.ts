import { describe, expect, it, vi } from "vitest";
import { SluiceError } from "../../src/errors.js";
import type { GraphEvent } from "../../src/graph/index.js";
import { NatsCoreTrigger } from "../../src/triggers/nats/core-trigger.js";
import { JetStreamTrigger } from "../../src/triggers/nats/jetstream-trigger.js";
import { memoryLogger } from "../helpers/graphs.js";
import { headersFrom, ScriptedNats } from "../helpers/scripted-nats.js";

// The core NATS trigger on scripted links (no server): what it subscribes to, publishes,
// answers and logs, and in which order. The same against a real nats-server is in
// nats-core.test.ts and nats-serve.test.ts.

describe("a core NATS trigger, scripted", () => {
  it("subscribes to its subject in its queue group and round-trips once before it reports running", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.coreTrigger({ subject: "tx.in", queue: "workers" });
    expect(trigger.name).toBe("nats:tx.in");
    expect(trigger.kind).toBe("nats");
    expect(trigger.state).toBe("created");
    expect(trigger.health.condition).toBe("starting");
    await trigger.start(() => undefined);
    expect(nats.subscriptions.map((s) => [s.subject, s.options])).toEqual([["tx.in", { queue: "workers" }]]);
    expect(nats.log).toEqual(["flush"]);
    expect(trigger.state).toBe("running");
    expect(trigger.health.condition).toBe("running");
    await trigger.close();
  });

  it("subscribes without a queue group when none is named, so every replica gets every message", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.coreTrigger();
    await trigger.start(() => undefined);
    expect(nats.subscriptions[0]?.options).toEqual({});
    await trigger.close();
  });

  it("hands the graph the message as an event: JSON body, subject path, lower-case headers, the message id", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.coreTrigger();
    const events: GraphEvent[] = [];
    await trigger.start((event) => {
      events.push(event);
    });
    nats.send(
      nats.coreMessage(
        { amount: 3 },
        { subject: "tx.in", headers: headersFrom({ "Nats-Msg-Id": "m-1", Traceparent: "00-a-b-01" }) },
      ),
      nats.coreMessage({ amount: 4 }),
    );
    await vi.waitFor(() => expect(events).toHaveLength(2));
    const [first, second] = events;
    expect(first).toMatchObject({
      id: "m-1",
      body: { amount: 3 },
      path: "/tx.in",
      method: "POST",
      headers: { "nats-msg-id": "m-1", traceparent: "00-a-b-01" },
      key: undefined,
      trigger: { kind: "nats", name: "tx.in" },
    });
    expect(typeof first?.time).toBe("number");
    // Without a message id, each event gets an id of its own.
    expect(second?.id).toMatch(/^[0-9a-f-]{36}$/);
    await trigger.close();
  });

  it("publishes a result to the output subject with the event id and trace context, and counts the event ok", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.coreTrigger({ output: { subject: "tx.out" } } as never);
    await trigger.start((event) => ({ doubled: (event.body as { n: number }).n * 2 }));
    nats.send(
      nats.coreMessage(
        { n: 2 },
        { headers: headersFrom({ "nats-msg-id": "e-7", traceparent: "00-t-s-01" }) },
      ),
    );
    await vi.waitFor(() => expect(nats.published).toHaveLength(1));
    const [out] = nats.published;
    expect(out?.subject).toBe("tx.out");
    expect(JSON.parse(out?.text ?? "")).toEqual({ doubled: 4 });
    expect(out?.headers?.get("x-sluice-event-id")).toBe("e-7");
    expect(out?.headers?.get("traceparent")).toBe("00-t-s-01");
    expect(nats.outcomes).toEqual(["ok"]);
    await trigger.close();
  });

  it("publishes nothing for an event whose graph answers nothing, nor without an output subject", async () => {
    const nats = new ScriptedNats();
    const quiet = nats.coreTrigger({ output: { subject: "tx.out" } } as never);
    await quiet.start(() => undefined);
    const loud = nats.coreTrigger({ subject: "other" });
    await loud.start(() => ({ said: true }));
    nats.subscriptions[0]?.messages.push(nats.coreMessage({ n: 1 }));
    nats.send(nats.coreMessage({ n: 2 }, { subject: "other" }));
    await vi.waitFor(() => expect(nats.outcomes).toEqual(["ok", "ok"]));
    await quiet.close();
    await loud.close();
    expect(nats.published).toEqual([]);
  });

  it("answers a request with the graph's response", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.coreTrigger();
    await trigger.start(async (event) => ({ echo: event.body }));
    nats.send(nats.coreMessage("hi", { reply: "_INBOX.1" }));
    await vi.waitFor(() => expect(nats.responses).toEqual(['{"echo":"hi"}']));
    await trigger.close();
  });

  it("answers a failed request with the error's message, logs one warning and counts the event failed", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.coreTrigger({ output: { subject: "tx.out" } } as never);
    await trigger.start(() => {
      throw new SluiceError("SLUICE_ERR_INPUT", "amount must be a number");
    });
    nats.send(
      nats.coreMessage({ n: 1 }, { reply: "_INBOX.2", headers: headersFrom({ "nats-msg-id": "bad-1" }) }),
    );
    await vi.waitFor(() => expect(nats.responses).toHaveLength(1));
    expect(JSON.parse(nats.responses[0] ?? "")).toEqual({ error: "amount must be a number" });
    expect(nats.outcomes).toEqual(["failed"]);
    expect(nats.published).toEqual([]);
    const warnings = nats.logger.lines.filter((l) => l.level === "warn");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.msg).toBe("event failed (core NATS: not redelivered)");
    expect(warnings[0]?.obj).toMatchObject({ subject: "in", event: "bad-1" });
    await trigger.close();
  });

  it("answers a request whose graph threw a non-Error with that value as the error", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.coreTrigger();
    await trigger.start(() => {
      throw "out of tokens";
    });
    nats.send(nats.coreMessage({}, { reply: "_INBOX.3" }));
    await vi.waitFor(() => expect(nats.responses).toEqual(['{"error":"out of tokens"}']));
    await trigger.close();
  });

  it("drops a message that is not JSON with a warning, answers its request, and keeps consuming", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.coreTrigger();
    const bodies: unknown[] = [];
    await trigger.start((event) => {
      bodies.push(event.body);
      return "ok";
    });
    nats.send(
      { ...nats.coreMessage(null, { reply: "_INBOX.4" }), data: new TextEncoder().encode("{not json") },
      nats.coreMessage({ fine: true }),
    );
    await vi.waitFor(() => expect(bodies).toEqual([{ fine: true }]));
    expect(nats.outcomes).toEqual(["failed", "ok"]);
    expect(JSON.parse(nats.responses[0] ?? "").error).toMatch(/not valid JSON/);
    const warning = nats.logger.lines.find((l) => l.level === "warn");
    expect(warning?.obj).toMatchObject({ subject: "in", event: undefined });
    await trigger.close();
  });

  it("hands raw bytes through when the content type is not JSON", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.coreTrigger();
    const bodies: unknown[] = [];
    await trigger.start((event) => {
      bodies.push(event.body);
    });
    const bytes = new Uint8Array([0xff, 0x00, 0x7b]);
    nats.send({
      ...nats.coreMessage(null, { headers: headersFrom({ "content-type": "image/png" }) }),
      data: bytes,
    });
    await vi.waitFor(() => expect(bodies).toHaveLength(1));
    expect(Buffer.isBuffer(bodies[0])).toBe(true);
    expect([...(bodies[0] as Buffer)]).toEqual([0xff, 0x00, 0x7b]);
    await trigger.close();
  });

  it("runs at most `concurrency` events at once (64 unless said)", async () => {
    for (const [concurrency, expected] of [
      [2, 2],
      [undefined, 64],
    ] as const) {
      const nats = new ScriptedNats();
      const trigger = nats.coreTrigger(concurrency === undefined ? {} : { concurrency });
      let running = 0;
      let most = 0;
      const finish: (() => void)[] = [];
      await trigger.start(
        () =>
          new Promise<void>((resolve) => {
            running++;
            most = Math.max(most, running);
            finish.push(() => {
              running--;
              resolve();
            });
          }),
      );
      for (let i = 0; i < 70; i++) nats.send(nats.coreMessage({ i }));
      await vi.waitFor(() => expect(running).toBe(expected));
      await new Promise((resolve) => setImmediate(resolve));
      expect(most).toBe(expected);
      const closed = trigger.close();
      while (running > 0 || finish.length > 0) {
        finish.shift()?.();
        await new Promise((resolve) => setImmediate(resolve));
      }
      await closed;
      expect(nats.outcomes).toHaveLength(70);
    }
  });

  it("on drain stops taking messages, finishes those taken, then flushes their outputs before closing", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.coreTrigger({ output: { subject: "tx.out" } } as never);
    let finish: (() => void) | undefined;
    await trigger.start(
      (event) =>
        new Promise((resolve) => {
          finish = () => resolve(event.body);
        }),
    );
    nats.send(nats.coreMessage({ i: 1 }));
    await vi.waitFor(() => expect(finish).toBeDefined());
    const closed = trigger.close();
    await vi.waitFor(() => expect(nats.log).toContain("drain"));
    expect(trigger.state).toBe("draining");
    expect(trigger.health.condition).toBe("stopped");
    expect(nats.lines("publish")).toEqual([]);
    finish?.();
    await closed;
    expect(nats.log.slice(nats.log.indexOf("drain"))).toEqual(["drain", "publish tx.out", "flush", "close"]);
    expect(trigger.state).toBe("closed");
  });

  it("handles and answers events all the same when the gateway counts nothing", async () => {
    const nats = new ScriptedNats({ counting: false });
    const trigger = nats.coreTrigger();
    await trigger.start((event) => {
      if ((event.body as { fail?: boolean }).fail) throw new Error("no");
      return "yes";
    });
    nats.send(
      nats.coreMessage({}, { reply: "_INBOX.a" }),
      nats.coreMessage({ fail: true }, { reply: "_INBOX.b" }),
    );
    await vi.waitFor(() => expect(nats.responses).toEqual(['"yes"', '{"error":"no"}']));
    await trigger.close();
  });

  it("drains and closes once: a second close, or a drain after it, does nothing", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.coreTrigger();
    await trigger.start(() => undefined);
    await trigger.close();
    const before = nats.log.length;
    await trigger.close();
    await trigger.drain();
    expect(nats.log).toHaveLength(before);
    expect(nats.log.filter((l) => l === "close")).toHaveLength(1);
  });

  it("closes a trigger that never started without touching a connection", async () => {
    const nats = new ScriptedNats();
    const trigger = nats.coreTrigger();
    await trigger.close();
    expect(nats.log).toEqual([]);
    expect(trigger.state).toBe("closed");
  });

  it("without links of its own connects to its URL, and a server that is not there fails start saying which", async () => {
    const context = { graph: "g", logger: memoryLogger() };
    const url = "nats://127.0.0.1:1";
    const core = new NatsCoreTrigger({ kind: "nats", url, subject: "in" }, context);
    const jetstream = new JetStreamTrigger(
      { kind: "nats", url, subject: "in", jetstream: { stream: "S", durable: "d" } },
      context,
    );
    for (const trigger of [core, jetstream]) {
      await expect(trigger.start(() => undefined)).rejects.toThrow(`cannot connect to NATS at ${url}`);
      expect(trigger.state).toBe("created");
    }
  });
});
