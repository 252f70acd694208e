import { afterEach, describe, expect, it, vi } from "vitest";
import { testGateway } from "../helpers/gateway.js";
import { stepsGraphFile } from "../helpers/graphs.js";
import { type Behaviour, hang, startUpstream, status } from "../helpers/upstream.js";

/**
 * A JSON that JSON.parse and JSON.stringify would change: a number past 2^53 (it would come
 * back as 12345678901234567000), `1.0` (as `1`), spacing, and non-ASCII text.
 */
const exact = '{ "id": 12345678901234567890, "score": 1.0, "name": "Zoë ✓ 東京", "tags": [ ] }';

/** A graph whose folder also holds `handlers.mjs` (an error handler that reports what it saw). */
const graphFile = (name: string, steps: string) =>
  stepsGraphFile(name, steps, {
    "handlers.mjs": "export const seen = (body, ctx) => ({ seen: body, error: ctx.error.code });\n",
  });

/** POSTs `body` as it is and reads the answer as text. */
async function post(url: string, body: string, type = "application/json") {
  const response = await fetch(url, { method: "POST", headers: { "content-type": type }, body });
  return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
}

/** Echoes the request's bytes with a JSON type of the target's own. */
const echoBytes: Behaviour = (_req, res, body) => {
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.end(body);
};

/** A target that checks its input the way a JSON API does: 400 for bad JSON. */
const strict: Behaviour = (_req, res, body) => {
  try {
    JSON.parse(body.toString("utf8"));
  } catch {
    res.writeHead(400, { "content-type": "application/json" });
    res.end('{"error":"that is not JSON"}');
    return;
  }
  echoBytes(_req, res, body);
};

/** Calls of JSON.parse or JSON.stringify on this test's payload (as text, or as its object). */
function payloadCalls(spy: { mock: { calls: unknown[][] } }): number {
  return spy.mock.calls.filter(([arg]) =>
    typeof arg === "string" ? arg.includes("Zoë") : (arg as { name?: unknown } | null)?.name === "Zoë ✓ 東京",
  ).length;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a remote step passes JSON through as bytes where no step reads it", () => {
  it("relays the caller's JSON and the target's answer byte for byte: big numbers, 1.0, spacing and non-ASCII as sent", async () => {
    const up = await startUpstream(echoBytes);
    const gw = await testGateway([await graphFile("relay", `call: {kind: remote, url: "${up.url}/score"}`)]);

    const answer = await post(`${gw.url}/`, exact, "application/json; charset=utf-8");

    expect(up.bodies[0]?.toString("utf8")).toBe(exact);
    expect(up.headers[0]?.["content-type"]).toBe("application/json; charset=utf-8");
    expect(answer).toEqual({ status: 200, type: "application/json; charset=utf-8", text: exact });
  });

  it("sends the same bytes again on each retry", async () => {
    let calls = 0;
    const up = await startUpstream((req, res, body) => {
      if (++calls < 3) {
        res.statusCode = 503;
        res.end();
      } else echoBytes(req, res, body);
    });
    const gw = await testGateway([
      await graphFile(
        "retried",
        `call: {kind: remote, url: "${up.url}/", retries: 2, backoff: {initial: 10ms, max: 10ms}}`,
      ),
    ]);

    const answer = await post(`${gw.url}/`, exact);

    expect(up.bodies.map((b) => b.toString("utf8"))).toEqual([exact, exact, exact]);
    expect(answer.text).toBe(exact);
  });

  it("leaves JSON the caller got wrong to the target: its 400 reaches the caller, as any 4xx of a target does", async () => {
    const up = await startUpstream(strict);
    const gw = await testGateway([await graphFile("strict", `call: {kind: remote, url: "${up.url}/"}`)]);

    const answer = await post(`${gw.url}/`, '{"id": 1,');

    expect(up.bodies.map((b) => b.toString("utf8"))).toEqual(['{"id": 1,']);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toEqual({ error: 'step "call" failed: the remote target answered 400' });
  });

  it("keeps the step's timeout, the breaker and the 502 for a failing target", async () => {
    const up = await startUpstream(status(500));
    const gw = await testGateway([
      await graphFile(
        "guarded",
        `call: {kind: remote, url: "${up.url}/", timeout: 300ms, breaker: {volumeThreshold: 3, resetTimeout: 30s}}`,
      ),
    ]);

    expect((await post(`${gw.url}/`, exact)).status).toBe(502);
    expect((await post(`${gw.url}/`, exact)).status).toBe(502);
    up.behave(hang);
    const late = await post(`${gw.url}/`, exact);
    expect(late.status).toBe(504);
    expect(JSON.parse(late.text)).toEqual({ error: 'step "call" failed: timed out after 300 ms' });
    // Three failures of three: the breaker opened, and the next call never left.
    const refused = await post(`${gw.url}/`, exact);
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.text).error).toMatch(/the circuit to .* is open/);
    expect(up.bodies.map((b) => b.toString("utf8"))).toEqual([exact, exact, exact]);
  });

  it("parses the bytes for an error handler, which gets the body as JSON", async () => {
    const up = await startUpstream(status(500));
    const gw = await testGateway([
      await graphFile(
        "handled",
        `call: {kind: remote, url: "${up.url}/", on_error: seen}
        seen: {kind: error, handler: "./handlers.mjs#seen"}`,
      ),
    ]);

    const answer = await post(`${gw.url}/`, '{"a": [1, 2]}');

    expect(up.bodies[0]?.toString("utf8")).toBe('{"a": [1, 2]}');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({ seen: { a: [1, 2] }, error: "REMOTE_FAILED" });
  });

  it("parses the bytes for a fallback step too, and answers 400 when they are not JSON", async () => {
    const up = await startUpstream(status(503));
    const gw = await testGateway([
      await graphFile(
        "fallen",
        `call: {kind: remote, url: "${up.url}/", fallback: seen}
        seen: {kind: error, handler: "./handlers.mjs#seen"}`,
      ),
    ]);

    const good = await post(`${gw.url}/`, '{"b": true}');
    expect(up.bodies[0]?.toString("utf8")).toBe('{"b": true}');
    expect(JSON.parse(good.text)).toEqual({ seen: { b: true }, error: "REMOTE_FAILED" });

    const bad = await post(`${gw.url}/`, "{b: true}");
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).error).toMatch(/request body is not valid JSON/);
  });
});

describe("a graph whose steps read the JSON parses it once", () => {
  it("parses the target's answer once when a step after the remote step reads it (the request goes as bytes)", async () => {
    const up = await startUpstream(echoBytes);
    const gw = await testGateway([
      await graphFile(
        "read-after",
        `call: {kind: remote, url: "${up.url}/"}
        after: {handler: "builtin:echo", after: [call]}`,
      ),
    ]);
    const parse = vi.spyOn(JSON, "parse");
    const stringify = vi.spyOn(JSON, "stringify");

    const answer = await post(`${gw.url}/`, exact);

    expect(up.bodies[0]?.toString("utf8")).toBe(exact);
    // Read by a step: parsed (the big number rounds, as JSON.parse has it) and written once.
    expect(answer.status).toBe(200);
    expect(answer.text).toBe('{"id":12345678901234567000,"score":1,"name":"Zoë ✓ 東京","tags":[]}');
    expect(payloadCalls(parse)).toBe(1);
    expect(payloadCalls(stringify)).toBe(1);
  });

  it("parses the request once when a step before the remote step reads it (the answer goes as bytes)", async () => {
    const up = await startUpstream(echoBytes);
    const gw = await testGateway([
      await graphFile(
        "read-before",
        `first: {handler: "builtin:echo"}
        call: {kind: remote, url: "${up.url}/", after: [first]}`,
      ),
    ]);
    const parse = vi.spyOn(JSON, "parse");
    const stringify = vi.spyOn(JSON, "stringify");

    const answer = await post(`${gw.url}/`, exact);

    const sent = '{"id":12345678901234567000,"score":1,"name":"Zoë ✓ 東京","tags":[]}';
    expect(up.bodies[0]?.toString("utf8")).toBe(sent);
    expect(answer).toEqual({ status: 200, type: "application/json; charset=utf-8", text: sent });
    expect(payloadCalls(parse)).toBe(1);
    expect(payloadCalls(stringify)).toBe(1);
  });
});
