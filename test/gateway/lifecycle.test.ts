import { Agent, request as httpRequest } from "node:http";
import { connect } from "node:net";
import { describe, expect, it, vi } from "vitest";
import { postJson, requestsInFlight, testGateway } from "../helpers/gateway.js";
import { serveProcess } from "../helpers/serve-process.js";

/** A POST on a given agent (so a test controls which connection it uses). */
function post(
  url: string,
  body: unknown,
  agent?: Agent,
): Promise<{ status: number; connection?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = httpRequest(
      url,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
      },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => {
          text += d.toString();
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: text }),
        );
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

describe("graceful shutdown of sluice serve", () => {
  it("finishes every accepted request on SIGTERM, answers late ones 503 with Connection: close, and exits 0", async () => {
    const server = await serveProcess(["test/fixtures/gateway/slow.yaml"]);
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
    expect((await post(`${server.url}/`, { ms: 1 }, keepAlive)).status).toBe(200); // the connection is open now

    const accepted = Array.from({ length: 40 }, () => post(`${server.url}/`, { ms: 2_000 }));
    // All 40 are inside the graph (each step waits 2 s: long enough to be seen there).
    await vi.waitFor(async () => expect(await requestsInFlight(server.adminUrl, "slow")).toBe(40), {
      timeout: 10_000,
    });
    server.child.kill("SIGTERM");
    // Send the late request only once the server says it is draining (machines here are busy).
    while (!server.stderr().includes("draining")) await new Promise((resolve) => setTimeout(resolve, 10));
    const late = await post(`${server.url}/`, { ms: 1 }, keepAlive);

    const results = await Promise.all(accepted);
    expect(results.map((r) => r.status)).toEqual(Array(40).fill(200));
    expect(late).toMatchObject({ status: 503, connection: "close" });
    expect(await server.exited).toBe(0);
    keepAlive.destroy();
  });

  it("stops at once with exit 1 on a second signal", async () => {
    const server = await serveProcess(["test/fixtures/gateway/slow.yaml"]);
    const stuck = post(`${server.url}/`, { ms: 60_000 }).catch(() => "dropped");
    await vi.waitFor(async () => expect(await requestsInFlight(server.adminUrl, "slow")).toBe(1), {
      timeout: 10_000,
    });
    server.child.kill("SIGTERM");
    await vi.waitFor(() => expect(server.stderr()).toContain("draining"), { timeout: 10_000 });
    server.child.kill("SIGTERM");
    // Not after the step's 60 s (nor --grace's 30 s): the test's own timeout is shorter than both.
    expect(await server.exited).toBe(1);
    expect(await stuck).toBe("dropped");
    expect(server.stderr()).toContain("second signal: stopping now");
  });

  it("stops at --grace when a request is still running: exit 1, the request dropped", async () => {
    const server = await serveProcess(["test/fixtures/gateway/slow.yaml", "--grace", "300ms"]);
    const stuck = post(`${server.url}/`, { ms: 60_000 }).catch(() => "dropped");
    await vi.waitFor(async () => expect(await requestsInFlight(server.adminUrl, "slow")).toBe(1), {
      timeout: 10_000,
    });
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(1);
    expect(await stuck).toBe("dropped");
    expect(server.stderr()).toContain('"graceMs":300');
    expect(server.stderr()).toContain("grace period over: stopping now");
  });
});

describe("a client still sending its body when SIGTERM comes", () => {
  it("gets a 503 and its connection closed, and the process exits 0 without waiting out --grace", async () => {
    const server = await serveProcess(["examples/enrichment/graph.yaml", "--grace", "20s"]);
    const { port } = new URL(server.url);
    const socket = connect(Number(port), "127.0.0.1");
    let answer = "";
    socket.on("data", (chunk: Buffer) => {
      answer += chunk.toString();
    });
    const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    // Headers of a 100-byte body: the server's `100 Continue` says it took the request.
    socket.write(
      "POST / HTTP/1.1\r\nHost: sluice\r\ncontent-type: application/json\r\ncontent-length: 100\r\nexpect: 100-continue\r\n\r\n",
    );
    await vi.waitFor(() => expect(answer).toContain("100 Continue"), { timeout: 10_000 });
    // One byte of the body: a trickling upload, not yet work for any step.
    socket.write("{");
    server.child.kill("SIGTERM");
    // 0, not --grace's forced exit 1 twenty seconds later.
    expect(await server.exited).toBe(0);
    await closed;
    expect(answer).toMatch(/^HTTP\/1.1 100 Continue\r\n\r\nHTTP\/1.1 503 /);
    expect(answer).toMatch(/connection: close/i);
    expect(answer).toContain("the server is shutting down before the request body arrived");
  });
});

describe("hot reload", () => {
  it("replaces a graph under load without a failed request", async () => {
    const gw = await testGateway(["versioned.yaml"]);
    const versions = new Set<number>();
    const failures: number[] = [];
    let loading = true;
    const lane = async () => {
      while (loading) {
        const { status, body } = await postJson(`${gw.url}/`, {});
        if (status !== 200) failures.push(status);
        else versions.add((body as { version: number }).version);
      }
    };
    const lanes = Array.from({ length: 16 }, lane);
    for (const version of [2, 3, 4]) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      const document = `apiVersion: sluice/v1\nkind: Graph\nmetadata: {name: versioned}\nspec:\n  steps:\n    stamp: {handler: builtin:set, args: {fields: {version: ${version}}}}\n`;
      const reply = await fetch(`${gw.adminUrl}/api/graphs`, {
        method: "POST",
        headers: { "content-type": "application/yaml" },
        body: document,
      });
      expect(reply.status).toBe(200);
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
    loading = false;
    await Promise.all(lanes);
    expect(failures).toEqual([]);
    expect([...versions].sort()).toEqual([1, 2, 3, 4]);
    expect(await postJson(`${gw.url}/`, {})).toMatchObject({ body: { version: 4 } });
  });
});

describe("sluice serve --workers 2", () => {
  it("serves from two processes on one port, gathers their metrics, reloads both, and drains both on SIGTERM", async () => {
    const server = await serveProcess(["--workers", "2", "test/fixtures/gateway/slow.yaml"]);
    const pids = new Set<number>();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 15; i++) {
          const { body } = await postJson(`${server.url}/`, { ms: 2 });
          pids.add((body as { pid: number }).pid);
        }
      }),
    );
    expect(pids.size).toBe(2);
    expect(pids.has(server.child.pid as number)).toBe(false);

    const metrics = await (await fetch(`${server.adminUrl}/metrics`)).text();
    expect(metrics).toContain('sluice_requests_total{graph="slow",outcome="ok"} 120');

    const document = `apiVersion: sluice/v1\nkind: Graph\nmetadata: {name: slow}\nspec:\n  steps:\n    stamp: {handler: builtin:set, args: {fields: {reloaded: true}}}\n`;
    const reply = await fetch(`${server.adminUrl}/api/graphs`, {
      method: "POST",
      headers: { "content-type": "application/yaml" },
      body: document,
    });
    expect(reply.status).toBe(200);
    for (let i = 0; i < 10; i++)
      expect((await postJson(`${server.url}/`, {})).body).toEqual({ reloaded: true });

    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  });
});
