import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { entryUnder, harnessOf, jsonOf, nuclioFixtures, stepCall } from "./entry-harness.js";

describe("sluice's Nuclio entry under the Nuclio harness", () => {
  it("runs the step x-sluice-step names on the JSON body and answers JSON", async () => {
    const nuclio = await entryUnder("graph.yaml", "all");
    const r = await nuclio.send(stepCall("double", { n: 21 }));
    expect(r).toMatchObject({ outcome: "answered", status: 200, contentType: "application/json" });
    expect(jsonOf(r.body)).toEqual({ n: 42 });
    // The step's ctx.logger writes through context.logger: the processor sees the record.
    expect(nuclio.logs).toContainEqual(expect.objectContaining({ level: "info", message: "doubling" }));
    expect(nuclio.durations.length).toBeGreaterThan(0);
  });

  it("hands a step bytes and answers its bytes as application/octet-stream", async () => {
    const nuclio = await entryUnder("graph.yaml", "all");
    const r = await nuclio.send({
      body: Buffer.from([1, 2, 3, 255]),
      contentType: "application/octet-stream",
      headers: { "Content-Type": "application/octet-stream", "X-Sluice-Step": "reverse" },
    });
    expect(r.status).toBe(200);
    expect(r.contentType).toBe("application/octet-stream");
    expect([...r.body]).toEqual([255, 3, 2, 1]);
  });

  it("answers a step's error with its status and the gateway's error JSON, naming step and code", async () => {
    const nuclio = await entryUnder("graph.yaml", "all");
    const r = await nuclio.send(stepCall("shape", { amount: "x" }));
    expect(r.status).toBe(422);
    expect(r.headers["x-sluice-error"]).toBe("SLUICE_ERR_STEP_FAILED");
    expect(jsonOf(r.body)).toEqual({
      error: 'step "shape" failed: amount must be a number',
      step: "shape",
      code: "E_SHAPE",
      message: "amount must be a number",
      status: 422,
    });
  });

  it("answers 500 for a step that throws a string, not an Error", async () => {
    const nuclio = await entryUnder("graph.yaml", "all");
    const r = await nuclio.send(stepCall("throwsString", {}));
    expect(r.status).toBe(500);
    expect(jsonOf(r.body)).toMatchObject({ error: 'step "throwsString" failed: plain string, not an Error' });
  });

  it("answers an async step's rejection and keeps the worker alive for the next event", async () => {
    const nuclio = await entryUnder("graph.yaml", "all");
    const r = await nuclio.send(stepCall("rejects", {}));
    expect(r.status).toBe(500);
    expect(jsonOf(r.body)).toMatchObject({ error: 'step "rejects" failed: async boom' });
    expect(nuclio.running).toBe(true);
    expect(jsonOf((await nuclio.send(stepCall("double", { n: 1 }))).body)).toEqual({ n: 2 });
  });

  it("answers 504 TIMEOUT for a step past its own timeout", async () => {
    const nuclio = await entryUnder("graph.yaml", "all");
    const r = await nuclio.send(stepCall("slow", {}));
    expect(r.status).toBe(504);
    expect(jsonOf(r.body)).toMatchObject({
      error: 'step "slow" failed: timed out after 100 ms',
      code: "TIMEOUT",
    });
  });

  it("answers a step that never settles when the caller's deadline passes, before Nuclio's timeout", async () => {
    const nuclio = await entryUnder("graph.yaml", "all", { eventTimeoutMs: 5000 });
    const r = await nuclio.send(stepCall("never", {}, { "X-Request-Timeout": "300" }));
    expect(r.outcome).toBe("answered");
    expect(r.status).toBe(504);
    expect(jsonOf(r.body)).toMatchObject({ step: "never", code: "TIMEOUT" });
  });

  it("answers a step that never settles by SLUICE_EVENT_TIMEOUT when the caller set no deadline", async () => {
    const nuclio = await entryUnder("graph.yaml", "all", {
      eventTimeoutMs: 5000,
      env: {
        SLUICE_GRAPH: join(nuclioFixtures, "graph.yaml"),
        SLUICE_FUNCTION: "all",
        SLUICE_EVENT_TIMEOUT: "250ms",
      },
    });
    const r = await nuclio.send(stepCall("never", {}));
    expect(r).toMatchObject({ outcome: "answered", status: 504 });
  });

  it("says a dropped event apart from an empty output: 204 with x-sluice-drop, or a bare 204", async () => {
    const nuclio = await entryUnder("graph.yaml", "all");
    const dropped = await nuclio.send(stepCall("drop", {}));
    expect(dropped.status).toBe(204);
    expect(dropped.headers["x-sluice-drop"]).toBe("1");
    const empty = await nuclio.send(stepCall("nothing", {}));
    expect(empty.status).toBe(204);
    expect(empty.headers["x-sluice-drop"]).toBeUndefined();
  });

  it("answers a full_event step that returns its event with the event's body", async () => {
    const nuclio = await entryUnder("graph.yaml", "all");
    const r = await nuclio.send(stepCall("event", { id: "e1", body: { a: 1 }, path: "/", headers: {} }));
    expect(jsonOf(r.body)).toEqual({ a: 1 });
  });

  it("refuses a step that is not in its function with 404, listing the ones it runs", async () => {
    const nuclio = await entryUnder("graph.yaml", "all");
    const r = await nuclio.send(stepCall("alone", { n: 1 }));
    expect(r.status).toBe(404);
    expect(jsonOf(r.body)).toEqual({
      error: expect.stringMatching(
        /no step "alone" here: function "all" of graph "entry-test" runs double, reverse/,
      ),
    });
  });

  it("runs a one-step function's step when the call names none", async () => {
    const nuclio = await entryUnder("graph.yaml", "alone");
    const r = await nuclio.send({ body: '{"n":4}', contentType: "application/json" });
    expect(jsonOf(r.body)).toEqual({ n: 8 });
  });

  it("answers 400 for a body that claims JSON and is not", async () => {
    const nuclio = await entryUnder("graph.yaml", "all");
    const r = await nuclio.send({ ...stepCall("double", {}), body: "{not json" });
    expect(r.status).toBe(400);
    expect(jsonOf(r.body)).toMatchObject({ error: expect.stringContaining("not valid JSON") });
  });

  it("answers every event 500 with the reason, and logs it, when the graph's module does not load", async () => {
    const nuclio = await entryUnder("broken.yaml", "lost");
    for (let i = 0; i < 2; i++) {
      const r = await nuclio.send(stepCall("lost", {}));
      expect(r).toMatchObject({ outcome: "answered", status: 500 });
      expect(jsonOf(r.body)).toEqual({
        error: expect.stringMatching(/function "lost" cannot load .*broken\.yaml: .*no-such-module\.mjs/),
      });
    }
    expect(nuclio.logs).toContainEqual(
      expect.objectContaining({
        level: "error",
        message: expect.stringContaining("the function cannot run"),
      }),
    );
  });

  it("answers 500 naming the missing variable when SLUICE_FUNCTION is not set", async () => {
    const nuclio = await entryUnder("graph.yaml", undefined);
    const r = await nuclio.send(stepCall("double", { n: 1 }));
    expect(r.status).toBe(500);
    expect(jsonOf(r.body)).toEqual({ error: expect.stringContaining("SLUICE_FUNCTION is not set") });
  });

  it("answers 500 listing the graph's functions when SLUICE_FUNCTION names none of them", async () => {
    const nuclio = await entryUnder("graph.yaml", "nope");
    const r = await nuclio.send(stepCall("double", { n: 1 }));
    expect(r.status).toBe(500);
    expect(jsonOf(r.body)).toEqual({
      error: expect.stringMatching(/has no function "nope"; its functions: all, alone/),
    });
  });

  it("runs the segment behind a Kafka queue for a kafka-cluster event carrying sluice's envelope", async () => {
    const nuclio = await entryUnder("stream.yaml", "tail");
    const envelope = {
      full_event_wrapper: true,
      id: "req-1",
      body: { order: 7, parsed: true },
      headers: {},
      time: 1,
    };
    const r = await nuclio.send({
      body: JSON.stringify(envelope),
      trigger: { kind: "kafka-cluster", name: "orders" },
      topic: "orders",
      offset: 12,
      shardId: 0,
      numShards: 1,
    });
    // Like sluice's own queue consumer, the segment answers nothing; its steps ran (and logged).
    expect(r.status).toBe(204);
    expect(nuclio.logs).toContainEqual(
      expect.objectContaining({
        message: "tagged",
        with: expect.objectContaining({ out: { order: 7, parsed: true, enriched: true, tagged: true } }),
      }),
    );
  });

  it("answers 400 for a message on a queue's topic that is not a sluice envelope", async () => {
    const nuclio = await entryUnder("stream.yaml", "tail");
    const r = await nuclio.send({
      body: '{"order":7}',
      trigger: { kind: "kafka-cluster", name: "orders" },
      topic: "orders",
    });
    expect(r.status).toBe(400);
    expect(jsonOf(r.body)).toMatchObject({ error: expect.stringContaining("not a sluice queue envelope") });
  });

  it("runs the graph from its roots for a cron event, with the cron event's body", async () => {
    const nuclio = await entryUnder("stream.yaml", "parse");
    const r = await nuclio.send({ body: '{"order":1}', trigger: { kind: "cron", name: "nightly" } });
    expect(r.status).toBe(200);
    // The graph's answer is the caller's segment: parse, then the queue hands it on.
    expect(jsonOf(r.body)).toEqual({ order: 1, parsed: true });
  });
});

describe("the Nuclio harness is faithful to Nuclio's Node.js runtime", () => {
  it("shows a bare handler that never calls back as the processor's event timeout", async () => {
    const nuclio = await harnessOf({
      handlerFile: join(nuclioFixtures, "bare-silent.cjs"),
      eventTimeoutMs: 300,
    });
    const r = await nuclio.send({ body: "hi" });
    expect(r.outcome).toBe("timeout");
    expect(r.status).toBe(504);
  });

  it("loses the worker when a bare async handler rejects: EOF now, and for every later event", async () => {
    const nuclio = await harnessOf({ handlerFile: join(nuclioFixtures, "bare-reject.cjs") });
    expect((await nuclio.send({ body: "ok" })).body.toString()).toBe("fine");
    const r = await nuclio.send({ body: "fail" });
    expect(r).toMatchObject({ outcome: "crashed", status: 500 });
    expect(r.body.toString()).toBe("EOF");
    expect(nuclio.running).toBe(false);
    expect(nuclio.output).toContain("bare rejection");
    expect((await nuclio.send({ body: "ok" })).status).toBe(500);
  });
});
