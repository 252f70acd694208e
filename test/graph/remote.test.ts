import { createServer } from "node:net";
import { describe, expect, it, vi } from "vitest";
import { type CompiledGraph, type EventInit, makeEvent, StepError } from "../../src/graph/index.js";
import { flow, graphOf, problemsOf } from "../helpers/graphs.js";
import { echo, hang, reset, slow, startUpstream, status } from "../helpers/upstream.js";

/** Runs one event and returns what the graph answered or the StepError it failed with. */
async function outcome(graph: CompiledGraph, init: EventInit & { deadline?: number } = {}) {
  const started = performance.now();
  try {
    const value = await graph.run({ ...makeEvent(init), deadline: init.deadline });
    return { value, ms: performance.now() - started };
  } catch (error) {
    if (!(error instanceof StepError)) throw error;
    return { error: error.info, message: error.message, ms: performance.now() - started };
  }
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("remote steps: the call", () => {
  it("fills {path} and {model} from the event, and passes the request id and trace context on", async () => {
    const up = await startUpstream();
    const graph = await graphOf(flow(`call: {kind: remote, url: "${up.url}/v1/{model}/run{path}"}`));
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const result = await graph.invoke({
      path: "/v2/models/iris/infer",
      body: { x: 1 },
      headers: { "x-request-id": "r-1", traceparent, tracestate: "a=b" },
    });
    expect(result).toEqual({ x: 1 });
    expect(up.paths).toEqual(["/v1/iris/run/v2/models/iris/infer"]);
    expect(up.headers[0]).toMatchObject({ "x-request-id": "r-1", traceparent, tracestate: "a=b" });
  });

  it("answers 404 when {model} is wanted and the path names none", async () => {
    const up = await startUpstream();
    const graph = await graphOf(flow(`call: {kind: remote, url: "${up.url}/{model}"}`));
    const { error } = await outcome(graph, { path: "/score" });
    expect(error).toMatchObject({ step: "call", code: "MODEL_NOT_FOUND", status: 404 });
    expect(up.requests).toBe(0);
  });

  it("sends JSON, or bytes as they are, and decodes JSON, text and bytes by content-type", async () => {
    const up = await startUpstream((req, res, body) => {
      const answer = req.headers["x-answer"];
      if (answer === "text") res.setHeader("content-type", "text/plain").end("plain words");
      else if (answer === "bytes") res.setHeader("content-type", "image/png").end(body);
      else echo(req, res, body);
    });
    const graph = await graphOf(flow(`call: {kind: remote, url: "${up.url}/a"}`));
    expect(await graph.invoke({ body: { a: [1, 2] } })).toEqual({ a: [1, 2] });
    expect(up.headers[0]?.["content-type"]).toBe("application/json");

    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
    const bytesGraph = await graphOf(
      flow(`call: {kind: remote, url: "${up.url}/c", headers: {x-answer: bytes}}`),
    );
    const before = up.bodies.length;
    const out = await bytesGraph.invoke({ body: png, headers: { "content-type": "image/png" } });
    expect(Buffer.isBuffer(out) && out.equals(png)).toBe(true);
    expect(up.bodies[before]?.equals(png)).toBe(true);
    expect(up.headers[before]?.["content-type"]).toBe("image/png");

    const textGraph = await graphOf(
      flow(`call: {kind: remote, url: "${up.url}/d", body: raw, headers: {x-answer: text}}`),
    );
    expect(await textGraph.invoke({ body: "hello" })).toBe("plain words");
    expect(up.bodies.at(-1)?.toString()).toBe("hello");
    expect(up.headers.at(-1)?.["content-type"]).toBe("text/plain; charset=utf-8");
  });

  it("sends no body with GET, and tells the target how long the caller still waits", async () => {
    const up = await startUpstream();
    const graph = await graphOf(flow(`call: {kind: remote, url: "${up.url}/x", method: get}`));
    await outcome(graph, { body: { ignored: true }, deadline: Date.now() + 5000 });
    expect(up.bodies[0]?.length).toBe(0);
    const left = Number(up.headers[0]?.["x-request-timeout"]);
    expect(left).toBeGreaterThan(4000);
    expect(left).toBeLessThanOrEqual(5000);
  });

  it("keeps the origin of a failure: error handlers see step, code, message and status", async () => {
    const up = await startUpstream(status(503));
    const graph = await graphOf(
      flow(`
        call: {kind: remote, url: "${up.url}/score", on_error: oops}
        oops: {kind: error, handler: ./steps.mjs#handled}
      `),
    );
    const result = (await graph.invoke({ body: { n: 1 } })) as { handled: Record<string, unknown> };
    expect(result.handled).toMatchObject({ step: "call", code: "REMOTE_FAILED", status: 502 });
    expect(result.handled.message).toMatch(/the remote target answered 503/);
  });

  it("keeps a caller's mistake a 4xx", async () => {
    const up = await startUpstream(status(422));
    const graph = await graphOf(flow(`call: {kind: remote, url: "${up.url}/"}`));
    expect((await outcome(graph)).error).toMatchObject({ code: "REMOTE_FAILED", status: 422 });
  });
});

describe("remote routes", () => {
  it("call their target like steps, each route with its own breaker", async () => {
    const stable = await startUpstream();
    const canary = await startUpstream(status(500));
    const graph = await graphOf(
      flow(`
        pick:
          kind: router
          type: parallel
          routes:
            stable: {kind: remote, url: "${stable.url}/", timeout: 1s}
            canary: {kind: remote, url: "${canary.url}/", breaker: {volumeThreshold: 1}}
          on_error: oops
        oops: {kind: error, handler: ./steps.mjs#handled}
      `),
    );
    const result = (await graph.invoke({ body: { a: 1 } })) as { handled: { step: string } };
    expect(result.handled).toMatchObject({ step: "pick/canary", code: "REMOTE_FAILED" });
    expect(graph.describe().targets).toMatchObject([
      { target: stable.url, steps: ["pick/stable"], breaker: { state: "closed" } },
      { target: canary.url, steps: ["pick/canary"], breaker: { state: "open" } },
    ]);
  });
});

describe("remote steps: timeouts", () => {
  it("aborts a hanging call at its timeout, within 10%, with code TIMEOUT", async () => {
    const up = await startUpstream(hang);
    const graph = await graphOf(flow(`call: {kind: remote, url: "${up.url}/", timeout: 1s}`));
    const { error, ms } = await outcome(graph);
    expect(error).toMatchObject({
      step: "call",
      code: "TIMEOUT",
      status: 504,
      message: "timed out after 1000 ms",
    });
    expect(ms).toBeGreaterThanOrEqual(995); // never before its time (a slow machine only adds)
    // The request was aborted, not left running: the target sees its caller gone.
    await expect.poll(() => up.abandoned).toBe(1);
  });

  it("aborts at the request's deadline when it comes before the step's timeout", async () => {
    const up = await startUpstream(slow(3000));
    const graph = await graphOf(flow(`call: {kind: remote, url: "${up.url}/", timeout: 5s}`));
    const { error } = await outcome(graph, { deadline: Date.now() + 300 });
    expect(error).toMatchObject({ code: "TIMEOUT", status: 504 });
    expect(error?.message).toMatch(/the request's deadline passed before http:\/\/127\.0\.0\.1:\d+ answered/);
    // The deadline's doing, not the upstream's answer: the target sees its caller gone.
    await expect.poll(() => up.abandoned).toBe(1);
  });
});

describe("remote steps: retries", () => {
  it("retries 502, 503 and 504 with backoff, and says how many attempts were made", async () => {
    for (const code of [502, 503, 504]) {
      const up = await startUpstream(status(code));
      const graph = await graphOf(
        flow(`call: {kind: remote, url: "${up.url}/", retries: 2, backoff: {initial: 5ms}, breaker: false}`),
      );
      const { message } = await outcome(graph);
      expect(up.requests).toBe(3);
      expect(message).toMatch(`the remote target answered ${code} (after 3 attempts)`);
    }
  });

  it("succeeds when a retry does", async () => {
    const up = await startUpstream(status(503));
    const graph = await graphOf(
      flow(`call: {kind: remote, url: "${up.url}/", retries: 3, backoff: {initial: 20ms}}`),
    );
    setTimeout(() => up.behave(echo), 5);
    // Full jitter may retry at once; by the last of three retries the target is back.
    const pending = graph.invoke({ body: { ok: 1 } });
    expect(await pending).toEqual({ ok: 1 });
  });

  it("does not retry other failures: 500, a caller's 4xx", async () => {
    for (const code of [500, 400]) {
      const up = await startUpstream(status(code));
      const graph = await graphOf(
        flow(`call: {kind: remote, url: "${up.url}/", retries: 3, backoff: {initial: 1ms}}`),
      );
      await outcome(graph);
      expect(up.requests).toBe(1);
    }
  });

  it("retries a refused connection, for any method", async () => {
    const port = await closedPort();
    const graph = await graphOf(
      flow(`call: {kind: remote, url: "http://127.0.0.1:${port}/", retries: 2, backoff: {initial: 1ms}}`),
    );
    const { error, message } = await outcome(graph);
    expect(error).toMatchObject({ code: "REMOTE_FAILED", status: 502 });
    expect(message).toMatch(/cannot connect to the remote target \(ECONNREFUSED\) \(after 3 attempts\)/);
  });

  it("retries a reset connection only for idempotent methods", async () => {
    const up = await startUpstream(reset);
    const post = await graphOf(
      flow(`call: {kind: remote, url: "${up.url}/", retries: 2, backoff: {initial: 1ms}}`),
    );
    expect((await outcome(post)).message).toMatch(/broke before an answer/);
    expect(up.requests).toBe(1);
    const put = await graphOf(
      flow(`call: {kind: remote, url: "${up.url}/", method: PUT, retries: 2, backoff: {initial: 1ms}}`),
    );
    await outcome(put);
    expect(up.requests).toBe(4);
  });

  it("stops retrying at the request's deadline, and nothing reaches the target after it", async () => {
    const up = await startUpstream(status(503));
    const graph = await graphOf(
      flow(
        `call: {kind: remote, url: "${up.url}/", retries: 1000, backoff: {initial: 40ms, max: 40ms}, breaker: false}`,
      ),
    );
    const { error, message } = await outcome(graph, { deadline: Date.now() + 400 });
    expect(error).toMatchObject({ step: "call", status: expect.any(Number) });
    expect(message).toMatch(/no time left before the deadline|deadline passed/);
    // The step settled: its retry loop (awaited inside it) is over. Every attempt it counted
    // reached the target (the last may have been cut off on its way, at the deadline).
    const attempts = Number(/after (\d+) attempts/.exec(message ?? "")?.[1]);
    expect(attempts).toBeGreaterThan(3);
    await vi.waitFor(() => expect(up.requests).toBeGreaterThanOrEqual(attempts - 1));
    expect(up.requests).toBeLessThanOrEqual(attempts);
  });

  it("stops retrying at the step's timeout too", async () => {
    const up = await startUpstream(slow(30, status(503)));
    const graph = await graphOf(
      flow(
        `call: {kind: remote, url: "${up.url}/", timeout: 300ms, retries: 1000, backoff: {initial: 10ms}, breaker: false}`,
      ),
    );
    const { message } = await outcome(graph);
    expect(message).toMatch(/no time left before the deadline|timed out after 300 ms/);
    const attempts = Number(/after (\d+) attempts/.exec(message ?? "")?.[1]);
    expect(attempts).toBeGreaterThan(1);
    await vi.waitFor(() => expect(up.requests).toBeGreaterThanOrEqual(attempts - 1));
    expect(up.requests).toBeLessThanOrEqual(attempts);
  });
});

describe("remote steps: placement nuclio", () => {
  it("calls the step's function instead of loading its code, naming the step", async () => {
    const up = await startUpstream();
    const graph = await graphOf(
      flow(`
        score: {handler: ./not-here.mjs#score, placement: nuclio, function: scorer,
                nuclio: {url: "${up.url}/", retries: 1}}
      `),
    );
    expect(await graph.invoke({ body: { n: 2 } })).toEqual({ n: 2 });
    expect(up.headers[0]).toMatchObject({ "x-sluice-graph": "test", "x-sluice-step": "score" });
  });

  it("finds the function at http://nuclio-<graph>-<function>:8080/ by default", async () => {
    const { nuclioUrl } = await import("../../src/graph/build/remote.js");
    expect(nuclioUrl("fraud", "score_api")).toBe("http://nuclio-fraud-score-api:8080/");
    expect(await problemsOf(flow(`s: {handler: ./nowhere.mjs#s, placement: nuclio}`))).toEqual([]);
  });
});

describe("remote steps: what the compiler refuses", () => {
  it.each([
    ["a placeholder in the host", `{kind: remote, url: "http://{model}.svc/x"}`, /only after the host/],
    ["an unknown placeholder", `{kind: remote, url: "http://h/{tenant}"}`, /unknown placeholder \{tenant\}/],
    [
      "maxQueue without maxConcurrency",
      `{kind: remote, url: "http://h/", maxQueue: 3}`,
      /maxQueue needs maxConcurrency/,
    ],
    [
      "a fallback that is no error step",
      `{kind: remote, url: "http://h/", fallback: other}`,
      /not a step of kind error/,
    ],
    [
      "an unknown fallback",
      `{kind: remote, url: "http://h/", fallback: nope}`,
      /unknown fallback step "nope"/,
    ],
  ])("%s", async (_what, step, message) => {
    const problems = await problemsOf(
      flow(`call: ${step}\nother: {handler: ./steps.mjs#inc, after: [call]}`),
    );
    expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(message)]);
    expect(problems[0]?.step).toBe("call");
  });

  it("two steps that disagree about one target's breaker", async () => {
    const problems = await problemsOf(
      flow(`
        a: {kind: remote, url: "http://h:1/a", breaker: {volumeThreshold: 5}}
        b: {kind: remote, url: "http://h:1/b", breaker: {volumeThreshold: 9}, after: [a]}
        c: {kind: remote, url: "http://h:1/c", after: [b]}
      `),
    );
    expect(problems).toMatchObject([
      {
        step: "b",
        pointer: "/spec/steps/b/breaker",
        message: expect.stringMatching(/step "a" calls http:\/\/h:1 too/),
      },
    ]);
  });
});
