import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { isSluiceError } from "../../src/errors.js";
import { createAdminApp } from "../../src/gateway/admin/app.js";
import { compilerIn, type GraphCompiler, localControl, startAdmin } from "../../src/gateway/admin/index.js";
import { GatewayMetrics } from "../../src/gateway/metrics/index.js";
import { GraphRegistry } from "../../src/gateway/registry.js";
import { StreamHost } from "../../src/gateway/streams.js";
import type { GraphStats, Stats } from "../../src/gateway/ui/index.js";
import { FunctionObject, FunctionStore } from "../../src/runtimes/index.js";
import { flow, graphFixtures, graphOf, memoryLogger } from "../helpers/graphs.js";

/** A graph document named `name` around some steps (flow() names every graph "test"). */
function named(name: string, steps: string, extra = ""): string {
  return flow(steps, extra).replace("metadata: {name: test}", `metadata: {name: ${name}}`);
}

const alpha = named(
  "alpha",
  `
  tag: {handler: builtin:set, args: {fields: {graph: alpha}}}
  double: {kind: model, class: ./steps.mjs#Model, args: {factor: 2}, after: [tag]}
  `,
);
const beta = (version: number) =>
  named("beta", `stamp: {handler: builtin:set, args: {fields: {version: ${version}}}}`);

/** The control of a gateway whose graphs have no triggers. */
function controlOf(registry: GraphRegistry, metrics: GatewayMetrics, compile: GraphCompiler) {
  return localControl(registry, metrics, compile, new StreamHost(registry, metrics, memoryLogger()));
}

/** A real admin plane on a random port, over a real registry of started graphs. */
async function adminOf(
  options: { graphs?: string[]; token?: string; modules?: string; store?: string } = {},
) {
  const logger = memoryLogger();
  const graphs = await Promise.all((options.graphs ?? [alpha]).map((yaml) => graphOf(yaml, logger)));
  const registry = GraphRegistry.of(graphs);
  // Graphs posted during the test live in the registry only: it closes them.
  onTestFinished(() => registry.close());
  const metrics = new GatewayMetrics({ processMetrics: false });
  const control = controlOf(registry, metrics, compilerIn(options.modules ?? graphFixtures, { logger }));
  const app = createAdminApp({
    control,
    logger,
    ...(options.token ? { token: options.token } : {}),
    ...(options.store ? { store: options.store } : {}),
  });
  const server = await startAdmin(app, 0);
  onTestFinished(() => close(server));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const post = (body: string, type = "application/yaml", headers: Record<string, string> = {}) =>
    fetch(`${url}/api/graphs`, { method: "POST", body, headers: { "content-type": type, ...headers } });
  return { url, post, registry, metrics, logger, server };
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

async function json(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}

describe("admin plane: reading", () => {
  it("GET /metrics gives the gateway's counters in Prometheus text format", async () => {
    const { url, metrics } = await adminOf();
    metrics.requests.series("alpha", "ok").inc(3);
    metrics.latency.series("alpha").observe(0.002);

    const response = await fetch(`${url}/metrics`);

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain("# TYPE sluice_requests_total counter");
    expect(text).toContain('sluice_requests_total{graph="alpha",outcome="ok"} 3');
    expect(text).toContain("# TYPE sluice_request_duration_seconds histogram");
    expect(text).toContain('sluice_request_duration_seconds_count{graph="alpha"} 1');
  });

  it("GET /api/graphs lists every served graph, marking the default one", async () => {
    const { url } = await adminOf({ graphs: [alpha, beta(1)] });

    const response = await fetch(`${url}/api/graphs`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([
      {
        name: "alpha",
        file: expect.stringMatching(/inline\.yaml$/),
        ready: true,
        default: true,
        models: ["double"],
        steps: 2,
        // No stream triggers (see test/triggers/kafka-readiness.test.ts for a graph with some).
        triggers: [],
      },
      {
        name: "beta",
        file: expect.stringMatching(/inline\.yaml$/),
        ready: true,
        default: false,
        models: [],
        steps: 1,
        triggers: [],
      },
    ]);
  });

  it("GET /api/graphs/<name> describes the compiled graph: steps, links, models", async () => {
    const { url } = await adminOf();

    const response = await fetch(`${url}/api/graphs/alpha`);

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      name: "alpha",
      state: "running",
      ready: true,
      steps: [
        { name: "tag", after: [] },
        { name: "double", kind: "model", after: ["tag"] },
      ],
      models: [{ key: "double", ready: true }],
    });
  });

  it("GET /api/graphs/<unknown> is a 404 that names the graph and lists the known ones", async () => {
    const { url } = await adminOf({ graphs: [alpha, beta(1)] });

    const response = await fetch(`${url}/api/graphs/gamma`);

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'no graph named "gamma" (known graphs: alpha, beta)' });
  });

  it("GET /api/functions lists the store's versions as `sluice functions list -o json` does", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sluice-admin-store-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, "functions.db");
    const store = FunctionStore.open(file);
    const trainer = (image: string) =>
      FunctionObject.create("job", "trainer", { image, command: "./train.mjs" });
    const first = store.put(trainer("node:20"));
    const second = store.put(trainer("node:22"));
    store.put(FunctionObject.create("job", "scorer", { image: "node:22" }), { tag: "v1" });
    const listed = store.list();
    store.close();
    const { url } = await adminOf({ store: file });

    const response = await fetch(`${url}/api/functions`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(listed);
    expect(listed).toHaveLength(3);
    expect(listed).toContainEqual({
      project: "default",
      name: "trainer",
      hash: second.hash,
      kind: "job",
      created: expect.any(String),
      tags: ["latest"],
    });
    expect(listed).toContainEqual(expect.objectContaining({ hash: first.hash, tags: [] }));
    const one = await fetch(`${url}/api/functions?name=scorer`);
    expect(await one.json()).toEqual([expect.objectContaining({ name: "scorer", tags: ["v1"] })]);
  });

  it("GET /api/functions of a store that does not exist is an empty list, and creates no file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sluice-admin-store-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, "home", "functions.db");
    const { url } = await adminOf({ store: file });

    const response = await fetch(`${url}/api/functions`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([]);
    expect(existsSync(join(dir, "home"))).toBe(false);
    expect((await fetch(`${url}/api/functions`, { method: "POST" })).status).toBe(405);
  });

  it("GET /api/graphs/<name>/svg draws the graph with a data-step per step; an unknown one is a 404", async () => {
    const { url } = await adminOf({ graphs: [alpha, beta(1)] });

    const response = await fetch(`${url}/api/graphs/alpha/svg`);

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^image\/svg\+xml/);
    const svg = await response.text();
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).toContain('data-step="tag"');
    expect(svg).toContain('data-step="double"');
    const unknown = await fetch(`${url}/api/graphs/gamma/svg`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'no graph named "gamma" (known graphs: alpha, beta)' });
  });

  it("GET /api/stats gives totals at once, then rates and quantiles over the time between polls", async () => {
    const { url, metrics } = await adminOf();
    const meters = metrics.graphMeters("alpha");
    const tag = metrics.stepRecorder("alpha", "tag");
    meters.ok.inc(3);
    meters.inFlight.inc();
    metrics.breakerRecorder("alpha", "http://127.0.0.1:9")("half-open");

    const first = (await (await fetch(`${url}/api/stats`)).json()) as Stats;

    expect(first.intervalSeconds).toBeNull();
    expect(first.graphs.alpha).toMatchObject({
      requests: 3,
      errors: 0,
      requestsPerSecond: null,
      inFlight: 1,
      p50Ms: null,
      breakers: { "http://127.0.0.1:9": "half-open" },
    });

    await new Promise((resolve) => setTimeout(resolve, 300));
    for (let i = 0; i < 4; i++) tag(0.0003, true);
    meters.error.inc();
    meters.latency.observe(0.0003);
    const second = (await (await fetch(`${url}/api/stats`)).json()) as Stats;

    const seconds = second.intervalSeconds as number;
    expect(seconds).toBeGreaterThanOrEqual(0.3);
    const alphaStats = second.graphs.alpha as GraphStats;
    expect(alphaStats).toMatchObject({ requests: 4, errors: 1, outcomes: { ok: 3, error: 1 } });
    expect(alphaStats.requestsPerSecond).toBeCloseTo(1 / seconds, 9);
    expect(alphaStats.errorsPerSecond).toBeCloseTo(1 / seconds, 9);
    expect(alphaStats.steps.tag).toMatchObject({ runs: 4, errors: 0, errorsPerSecond: 0 });
    expect(alphaStats.steps.tag?.runsPerSecond).toBeCloseTo(4 / seconds, 9);
    // Four runs in the (0.25 ms, 0.5 ms] bucket: the median is halfway through it.
    expect(alphaStats.steps.tag?.p50Ms).toBeCloseTo(0.375, 9);
    expect((await fetch(`${url}/api/stats`, { method: "PUT" })).status).toBe(405);
  });

  it("GET /ui is one self-contained HTML page: inline script and style, nothing fetched elsewhere", async () => {
    const { url } = await adminOf({ token: "secret" });

    const response = await fetch(`${url}/ui`);

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(response.headers.get("content-security-policy")).toContain("default-src 'self'");
    const html = await response.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain("<script>");
    expect(html).not.toMatch(
      /<script[^>]+src=|<link[^>]+href="(?!data:)|https?:\/\/(?!www\.w3\.org\/2000\/svg)/,
    );
    expect((await fetch(`${url}/ui`, { method: "POST" })).status).toBe(405);
  });

  it("a badly escaped graph name is a 400, not a 500", async () => {
    const { url } = await adminOf();

    const response = await fetch(`${url}/api/graphs/%E0%A4%A`);

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: expect.stringContaining("Failed to decode param") });
  });

  it("an unknown route is a 404 with an {error} body, and a wrong method a 405", async () => {
    const { url } = await adminOf();

    const unknown = await fetch(`${url}/api/nothing`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: "no route GET /api/nothing" });

    const wrongMethod = await fetch(`${url}/api/graphs/alpha`, { method: "DELETE" });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("GET");
    expect(await wrongMethod.json()).toEqual({ error: expect.stringContaining("DELETE is not allowed") });
  });
});

describe("admin plane: loading graphs", () => {
  it("POST of a new YAML graph serves it at once and answers 201", async () => {
    const { post, registry } = await adminOf();

    const response = await post(beta(1));

    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ name: "beta", replaced: false });
    expect(registry.names).toEqual(["alpha", "beta"]);
    expect(await registry.get("beta")?.invoke({ body: { a: 1 } })).toEqual({ a: 1, version: 1 });
  });

  it("POST of a graph with a served name replaces it (200): new requests get the new version", async () => {
    const { post, registry } = await adminOf({ graphs: [alpha, beta(1)] });
    const old = registry.get("beta");

    const response = await post(beta(2));

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ name: "beta", replaced: true });
    expect(await registry.get("beta")?.invoke({ body: {} })).toEqual({ version: 2 });
    // Nothing was inside the old version, so it closed right away.
    expect(old?.state).toBe("closed");
  });

  it("POST accepts the graph as JSON (application/json)", async () => {
    const { post, registry } = await adminOf();
    const document = {
      apiVersion: "sluice/v1",
      kind: "Graph",
      metadata: { name: "fromjson" },
      spec: { steps: { echo: { handler: "builtin:echo" } } },
    };

    const response = await post(JSON.stringify(document), "application/json; charset=utf-8");

    expect(response.status).toBe(201);
    expect(await registry.get("fromjson")?.invoke({ body: { x: 1 } })).toEqual({ x: 1 });
  });

  it.each(["application/x-yaml", "text/yaml"])("POST accepts YAML sent as %s", async (type) => {
    const { post } = await adminOf();

    const response = await post(beta(1), type);

    expect(response.status).toBe(201);
  });

  it("POST of an invalid graph is a 400 with one line per problem, and serves nothing new", async () => {
    const { post, registry } = await adminOf();
    const invalid = named(
      "broken",
      `
      a: {handler: builtin:echo, after: [nowhere]}
      b: {handler: builtin:nosuch, after: [a]}
      `,
    );

    const response = await post(invalid);

    expect(response.status).toBe(400);
    const body = await json(response);
    expect(body.error).toEqual(expect.stringContaining("posted-graph.yaml"));
    expect(body.problems).toEqual([
      expect.stringMatching(/posted-graph\.yaml:\d+: step "a": .*nowhere/),
      expect.stringMatching(/posted-graph\.yaml:\d+: step "b": .*nosuch/),
    ]);
    expect(registry.names).toEqual(["alpha"]);
  });

  it("POST of a graph whose step fails to start is a 400, and the served version keeps serving", async () => {
    const modules = await mkdtemp(join(tmpdir(), "sluice-admin-"));
    onTestFinished(() => rm(modules, { recursive: true, force: true }));
    await writeFile(
      join(modules, "steps.mjs"),
      'export class NoDb { init() { throw new Error("no database"); } do(x) { return x; } }',
    );
    const { post, registry } = await adminOf({ graphs: [beta(1)], modules });

    const response = await post(named("beta", "s: {class: ./steps.mjs#NoDb}"));

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'graph "beta" failed to start: no database' });
    expect(await registry.get("beta")?.invoke({ body: {} })).toEqual({ version: 1 });
  });

  it("POST of malformed YAML or JSON is a 400 that says where", async () => {
    const { post } = await adminOf();

    const yaml = await post("metadata: [unclosed\n");
    expect(yaml.status).toBe(400);
    expect((await json(yaml)).problems).toEqual([
      expect.stringMatching(/posted-graph\.yaml:\d+: \/: invalid YAML/),
    ]);

    const jsonBody = await post('{"kind": ', "application/json");
    expect(jsonBody.status).toBe(400);
    expect((await json(jsonBody)).problems).toEqual([
      expect.stringMatching(/posted-graph\.json:1: \/: invalid JSON/),
    ]);
  });

  it("POST with an empty body is a 400", async () => {
    const { post } = await adminOf();

    const response = await post("");

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: expect.stringContaining("body is empty") });
  });

  it("POST with another content type is a 415 naming the ones accepted", async () => {
    const { post } = await adminOf();

    const response = await post(beta(1), "text/plain");
    const odd = await post(beta(1), "constructor");

    expect(odd.status).toBe(415);
    expect(response.status).toBe(415);
    expect(await response.json()).toEqual({
      error:
        'content type "text/plain" is not supported: send the graph as application/yaml or application/json',
    });
  });

  it("POST of a document over 1 MiB is a 413", async () => {
    const { post } = await adminOf();

    const response = await post(`${beta(1)}# ${"x".repeat(1024 * 1024)}\n`);

    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: "the graph document is larger than 1 MiB" });
  });

  it("POST of a graph serving a model another graph serves is a 409 and changes nothing", async () => {
    const { post, registry } = await adminOf();
    const clash = named("other", "double: {kind: model, class: ./steps.mjs#Model}");

    const response = await post(clash);

    expect(response.status).toBe(409);
    expect(await response.json()).toEqual({
      error: 'model "double" is served by both graph "alpha" and graph "other"',
    });
    expect(registry.names).toEqual(["alpha"]);
    expect(registry.models.get("double")?.graph.name).toBe("alpha");
  });

  it("each POST logs one info line with its outcome; reads log nothing", async () => {
    const { url, post, logger } = await adminOf();
    await fetch(`${url}/api/graphs`);
    await fetch(`${url}/metrics`);

    await post(beta(1));
    await post(beta(1), "text/plain");

    expect(logger.lines.map((l) => [l.level, l.msg, l.obj])).toEqual([
      ["info", "admin request", expect.objectContaining({ method: "POST", status: 201, graph: "beta" })],
      [
        "info",
        "admin request",
        expect.objectContaining({ method: "POST", status: 415, error: expect.any(String) }),
      ],
    ]);
  });
});

describe("admin plane: the admin token", () => {
  const token = "s3cret-token";

  it("POST without the token is a 401 asking for a Bearer token", async () => {
    const { post, registry } = await adminOf({ token });

    const response = await post(beta(1));

    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
    expect(await response.json()).toEqual({ error: "this change needs the admin token" });
    expect(registry.names).toEqual(["alpha"]);
  });

  it("POST with a wrong token is a 401", async () => {
    const { post } = await adminOf({ token });

    for (const wrong of ["Bearer s3cret-tokem", "Bearer s3cret", `Basic ${token}`]) {
      const response = await post(beta(1), "application/yaml", { authorization: wrong });
      expect(response.status, wrong).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe("Bearer");
    }
  });

  it("POST with the right token loads the graph (201)", async () => {
    const { post, registry } = await adminOf({ token });

    const response = await post(beta(1), "application/yaml", { authorization: `Bearer ${token}` });

    expect(response.status).toBe(201);
    expect(registry.names).toEqual(["alpha", "beta"]);
  });

  it("reads stay open without the token", async () => {
    const { url } = await adminOf({ token });

    for (const path of ["/metrics", "/api/graphs", "/api/graphs/alpha", "/api/stats", "/ui"]) {
      expect((await fetch(`${url}${path}`)).status, path).toBe(200);
    }
  });
});

describe("startAdmin", () => {
  it("listens on 127.0.0.1 by default", async () => {
    const { server } = await adminOf();

    expect((server.address() as AddressInfo).address).toBe("127.0.0.1");
  });

  it("rejects with an error naming the port when it is taken", async () => {
    const { server } = await adminOf();
    const { port } = server.address() as AddressInfo;
    const app = createAdminApp({
      control: controlOf(
        GraphRegistry.of([]),
        new GatewayMetrics({ processMetrics: false }),
        compilerIn(graphFixtures),
      ),
      logger: memoryLogger(),
    });

    const error: unknown = await startAdmin(app, port).catch((e: unknown) => e);

    expect(isSluiceError(error)).toBe(true);
    expect((error as Error).message).toBe(`admin port ${port} on 127.0.0.1 is already in use`);
  });
});
