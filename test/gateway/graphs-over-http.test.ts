import { mkdtemp, writeFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { GraphRegistry } from "../../src/gateway/registry.js";
import { loadGraph } from "../../src/graph/index.js";
import { getJson, postJson, testGateway } from "../helpers/gateway.js";
import { memoryLogger } from "../helpers/graphs.js";

describe("graphs over HTTP", () => {
  it("runs an MLRun-style flow graph for a POST to any path", async () => {
    const gw = await testGateway(["flow.yaml"]);
    expect(await postJson(`${gw.url}/anything/here`, { n: 1 })).toMatchObject({
      status: 200,
      body: { n: 3 },
    });
  });

  it("answers 204 when a filter drops the event", async () => {
    const gw = await testGateway(["flow.yaml"]);
    const { status, body } = await postJson(`${gw.url}/`, { n: 500 });
    expect(status).toBe(204);
    expect(body).toBeUndefined();
  });

  it("serves several graphs: the first at /, each under /graphs/<name>/", async () => {
    const gw = await testGateway(["flow.yaml", "headers.yaml"]);
    expect(await postJson(`${gw.url}/x`, { n: 0 })).toMatchObject({ body: { n: 2 } });
    expect(await postJson(`${gw.url}/graphs/flow/x`, { n: 0 })).toMatchObject({ body: { n: 2 } });
    expect(await postJson(`${gw.url}/graphs/headers/deep/path`, {})).toMatchObject({
      body: { path: "/deep/path" },
    });
    // The named graph's root, with or without its trailing slash.
    expect(await postJson(`${gw.url}/graphs/headers/`, {})).toMatchObject({ body: { path: "/" } });
    expect(await postJson(`${gw.url}/graphs/headers`, {})).toMatchObject({ body: { path: "/" } });
    // Paths that only look like the OIP's or a named graph's still reach the default graph.
    for (const path of ["/v2x", "/graphsy", "/V2/models"]) {
      expect(await postJson(`${gw.url}${path}`, { n: 0 })).toMatchObject({ body: { n: 2 } });
    }
    expect(await postJson(`${gw.url}/graphs/nope/x`, {})).toMatchObject({
      status: 404,
      body: { error: 'no graph named "nope"; served: flow, headers' },
    });
  });

  it("resolves model names across graphs", async () => {
    const gw = await testGateway(["flow.yaml", "models.yaml"]);
    const body = { inputs: [{ name: "x", shape: [1], datatype: "FP64", data: [3] }] };
    expect(await postJson(`${gw.url}/v2/models/double/infer`, body)).toMatchObject({
      status: 200,
      body: { outputs: [{ data: [6] }] },
    });
  });

  it("refuses at startup two graphs that serve the same model", async () => {
    const logger = memoryLogger();
    const { gatewayFixtures } = await import("../helpers/gateway.js");
    const a = await loadGraph(join(gatewayFixtures, "models.yaml"), { logger });
    const dir = await mkdtemp(join(tmpdir(), "sluice-clash-"));
    const other = join(dir, "clash.yaml");
    await writeFile(
      other,
      `apiVersion: sluice/v1\nkind: Graph\nmetadata: {name: clash}\nspec:\n  steps:\n    double: {kind: model, class: ${join(gatewayFixtures, "../graph/steps.mjs")}#Model}\n`,
    );
    const b = await loadGraph(other, { logger });
    expect(() => GraphRegistry.of([a, b])).toThrow(
      'model "double" is served by both graph "models" and graph "clash"',
    );
  });

  it("passes raw bytes to the graph for content types other than JSON", async () => {
    const gw = await testGateway(["raw.yaml"]);
    const response = await fetch(`${gw.url}/`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: Buffer.alloc(300, 7),
    });
    expect(await response.json()).toEqual({ isBuffer: true, length: 300 });
  });

  it("honours x-request-id, or makes one, and echoes it", async () => {
    const gw = await testGateway(["headers.yaml"]);
    const given = await postJson(`${gw.url}/`, {}, { "x-request-id": "abc-123" });
    expect(given.headers.get("x-request-id")).toBe("abc-123");
    expect(given.body).toMatchObject({ id: "abc-123", requestId: "abc-123" });
    const made = await Promise.all([1, 2, 3].map(() => postJson(`${gw.url}/`, {})));
    const ids = made.map((m) => m.headers.get("x-request-id"));
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(3);
  });

  it("keeps a caller's W3C traceparent, or starts a trace", async () => {
    const gw = await testGateway(["headers.yaml"]);
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    expect((await postJson(`${gw.url}/`, {}, { traceparent })).body).toMatchObject({ traceparent });
    const started = (await postJson(`${gw.url}/`, {})).body as { traceparent: string };
    expect(started.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it("passes the request id and traceparent on to remote steps", async () => {
    const seen: IncomingHttpHeaders[] = [];
    const upstream = createServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      req.on("end", () => {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ scored: true }));
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    onTestFinished(() => new Promise<void>((resolve) => upstream.close(() => resolve())));
    const dir = await mkdtemp(join(tmpdir(), "sluice-remote-"));
    const file = join(dir, "remote.yaml");
    const port = (upstream.address() as AddressInfo).port;
    await writeFile(
      file,
      `apiVersion: sluice/v1\nkind: Graph\nmetadata: {name: remote}\nspec:\n  steps:\n    call: {kind: remote, url: "http://127.0.0.1:${port}/score"}\n`,
    );
    const gw = await testGateway([file]);
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const { body } = await postJson(`${gw.url}/`, { x: 1 }, { "x-request-id": "r-9", traceparent });
    expect(body).toEqual({ scored: true });
    expect(seen[0]).toMatchObject({ "x-request-id": "r-9", traceparent });
  });

  it("answers 504 when the request's deadline passes, and lets callers ask for less within the cap", async () => {
    const gw = await testGateway(["slow.yaml"], { timeoutMs: 200, maxTimeoutMs: 1000 });
    const late = await postJson(`${gw.url}/`, { ms: 600 });
    expect(late).toMatchObject({ status: 504, body: { error: "the request's deadline of 200 ms passed" } });
    const longer = await postJson(`${gw.url}/`, { ms: 300 }, { "x-request-timeout": "800ms" });
    expect(longer.status).toBe(200);
    const capped = await postJson(`${gw.url}/`, { ms: 50 }, { "x-request-timeout": "1h" });
    expect(capped.status).toBe(200);
    const shorter = await postJson(`${gw.url}/`, { ms: 150 }, { "x-request-timeout": "50" });
    expect(shorter.status).toBe(504);
  });

  it("answers 500 when the graph's result cannot be sent as JSON, and stays up", async () => {
    const gw = await testGateway(["unsendable.yaml"]);
    for (const body of [{}, { later: true }]) {
      const { status, body: answer } = await postJson(`${gw.url}/`, body);
      expect(status).toBe(500);
      expect(answer).toEqual({ error: expect.stringContaining("BigInt") });
    }
    expect((await fetch(`${gw.url}/v2/health/live`)).status).toBe(200);
  });

  it("keeps a caller's mistake out of the 5xx range on graph paths too", async () => {
    const gw = await testGateway(["flow.yaml"]);
    expect((await postJson(`${gw.url}/`, "{oops")).status).toBe(400);
    expect((await getJson(`${gw.url}/v2/models/none`)).status).toBe(404);
  });
});
