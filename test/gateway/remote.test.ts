import { describe, expect, it, vi } from "vitest";
import { getJson, postJson, requestsInFlight, testGateway } from "../helpers/gateway.js";
import { stepsGraphFile } from "../helpers/graphs.js";
import { hang, slow, startUpstream, status } from "../helpers/upstream.js";

const graphFile = (name: string, steps: string) => stepsGraphFile(name, steps);

describe("remote steps over HTTP", () => {
  it("answers 503 with Retry-After (the seconds until the next probe) while a breaker is open, and reports it in describe and metrics", async () => {
    const up = await startUpstream(status(500));
    const file = await graphFile(
      "scoring",
      `call: {kind: remote, url: "${up.url}/score", breaker: {volumeThreshold: 2, resetTimeout: 30s}}`,
    );
    const gw = await testGateway([file]);
    expect((await postJson(`${gw.url}/`, {})).status).toBe(502);
    expect((await postJson(`${gw.url}/`, {})).status).toBe(502);

    const open = await postJson(`${gw.url}/`, {});
    expect(open.status).toBe(503);
    expect(open.headers.get("retry-after")).toBe("30");
    expect((open.body as { error: string }).error).toMatch(
      /^step "call" failed: the circuit to http:\/\/127\.0\.0\.1:\d+ is open \(too many failures\); next probe in 30 s$/,
    );
    expect(up.requests).toBe(2);

    const described = await getJson(`${gw.adminUrl}/api/graphs/scoring`);
    expect(described.body).toMatchObject({
      steps: [{ name: "call", kind: "remote", breaker: "open" }],
      targets: [{ target: up.url, steps: ["call"], breaker: { state: "open" } }],
    });
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(metrics).toContain(`sluice_breaker_state{graph="scoring",target="${up.url}"} 2`);
  });

  it("answers 504 when a remote step times out, naming the step", async () => {
    const up = await startUpstream(hang);
    const file = await graphFile("slowpoke", `call: {kind: remote, url: "${up.url}/", timeout: 200ms}`);
    const gw = await testGateway([file]);
    const { status: code, body } = await postJson(`${gw.url}/`, {});
    expect(code).toBe(504);
    expect(body).toEqual({ error: 'step "call" failed: timed out after 200 ms' });
  });

  it("stops retrying at the deadline the caller gave (x-request-timeout)", async () => {
    const up = await startUpstream(status(503));
    const file = await graphFile(
      "retrying",
      `call: {kind: remote, url: "${up.url}/", retries: 1000, backoff: {initial: 20ms, max: 20ms}, breaker: false}`,
    );
    const gw = await testGateway([file]);
    const { status: code } = await postJson(`${gw.url}/`, {}, { "x-request-timeout": "300ms" });
    expect([502, 504]).toContain(code);
    // The graph's run ended (its retry loop with it) at the caller's deadline, not the
    // server's 10 s: the request left the graph, and the target saw several attempts.
    await vi.waitFor(async () => expect(await requestsInFlight(gw.adminUrl, "retrying")).toBe(0), {
      timeout: 5_000,
    });
    expect(up.requests).toBeGreaterThan(3);
  });

  it("refuses past a bulkhead with 503 and Retry-After", async () => {
    const up = await startUpstream(slow(200));
    const file = await graphFile(
      "narrow",
      `call: {kind: remote, url: "${up.url}/", target: {maxConcurrency: 1, maxQueue: 0}}`,
    );
    const gw = await testGateway([file]);
    const [a, b] = await Promise.all([postJson(`${gw.url}/`, { a: 1 }), postJson(`${gw.url}/`, { b: 1 })]);
    expect([a.status, b.status].sort()).toEqual([200, 503]);
    const refused = a.status === 503 ? a : b;
    expect(refused.headers.get("retry-after")).toBe("1");
    expect((refused.body as { error: string }).error).toMatch(/is overloaded: 1 running and 0 waiting/);
  });

  it("keeps other graphs responsive while one graph's dependency hangs", async () => {
    const up = await startUpstream(hang);
    const stuck = await graphFile(
      "stuck",
      `call: {kind: remote, url: "${up.url}/", timeout: 3s, target: {maxConcurrency: 10, maxQueue: 10}}`,
    );
    const healthy = await graphFile("healthy", `echo: {handler: "builtin:echo"}`);
    const gw = await testGateway([stuck, healthy]);
    const stuckCalls = Array.from({ length: 100 }, () =>
      postJson(`${gw.url}/graphs/stuck/score`, {}).catch((error: unknown) => ({
        body: { error: String(error) },
      })),
    );
    // Client, gateway and upstream share this process: let the burst itself be handled first.
    await expect.poll(() => up.inFlight, { timeout: 5000 }).toBe(10);
    for (let i = 0; i < 20; i++) {
      const { status: code, body } = await postJson(`${gw.url}/graphs/healthy/echo`, { i });
      expect({ code, body }).toEqual({ code: 200, body: { i } });
    }
    // All 20 answered while the stuck graph's calls still hang: not held behind them. (How
    // fast the other graph answers meanwhile is measured in bench/: the remote soak.)
    expect(up.inFlight).toBe(10);
    const answers = (await Promise.all(stuckCalls)).map((r) => (r.body as { error: string }).error);
    // 80 refused at once; the 20 held (10 calling, 10 waiting) ended at their timeout, or
    // met the breaker those timeouts opened.
    expect(answers.filter((e) => e.includes("is overloaded"))).toHaveLength(80);
    expect(answers.filter((e) => /timed out after 3000 ms|circuit .* is open/.test(e))).toHaveLength(20);
    expect(up.maxInFlight).toBe(10);
  });
});
