import { mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { createAdminApp } from "../../src/gateway/admin/app.js";
import { compilerIn, localControl, startAdmin } from "../../src/gateway/admin/index.js";
import { GatewayMetrics } from "../../src/gateway/metrics/index.js";
import { GraphRegistry } from "../../src/gateway/registry.js";
import { StreamHost } from "../../src/gateway/streams.js";
import { loadGraphText } from "../../src/graph/index.js";
import { sluice } from "../helpers/cli.js";
import { flow, graphFixtures, memoryLogger } from "../helpers/graphs.js";

/** A folder outside the working directory holding a real step module. */
function outsideModule(): string {
  const dir = mkdtempSync(join(tmpdir(), "sluice-outside-"));
  writeFileSync(join(dir, "evil.mjs"), "export function run() { return { pwned: true }; }\n");
  return join(dir, "evil.mjs");
}

async function problemsOf(yaml: string, file = join(graphFixtures, "posted.yaml"), roots?: string[]) {
  try {
    const graph = await loadGraphText(yaml, file, {
      logger: memoryLogger(),
      ...(roots ? { moduleRoots: roots } : {}),
    });
    await graph.close();
    return "";
  } catch (error) {
    return (
      (error as Error & { problems?: { message: string }[] }).problems?.map((p) => p.message).join("\n") ??
      String(error)
    );
  }
}

describe("step modules load only from the graph's folder tree or the module roots", () => {
  it("refuses an absolute path and a ../ escape outside the roots, saying the same whether the file exists or not", async () => {
    const evil = outsideModule();
    const missing = join(evil, "..", "missing.mjs");
    const outside = await problemsOf(flow(`a: {handler: "${evil}#run"}`));
    const absent = await problemsOf(flow(`a: {handler: "${missing}#run"}`));
    expect(outside).toContain("is outside the folders step modules may be loaded from");
    expect(absent.replace(missing, evil)).toBe(outside);
    const climbed = await problemsOf(flow(`a: {handler: "../../../../../../../../..${evil}#run"}`));
    expect(climbed).toContain("is outside the folders");
  });

  it("refuses a symlink inside the tree that leads out", async () => {
    const evil = outsideModule();
    const dir = mkdtempSync(join(tmpdir(), "sluice-tree-"));
    symlinkSync(evil, join(dir, "link.mjs"));
    const problems = await problemsOf(flow(`a: {handler: ./link.mjs#run}`), join(dir, "g.yaml"), [dir]);
    expect(problems).toContain("is outside the folders");
  });

  it("loads a module under a root given explicitly", async () => {
    const evil = outsideModule();
    expect(await problemsOf(flow(`a: {handler: "${evil}#run"}`), undefined, [join(evil, "..")])).toBe("");
  });

  it("a graph posted over the admin API cannot name a module outside the roots (400, nothing run)", async () => {
    const logger = memoryLogger();
    const registry = GraphRegistry.of([]);
    onTestFinished(() => registry.close());
    const metrics = new GatewayMetrics({ processMetrics: false });
    const control = localControl(
      registry,
      metrics,
      compilerIn(graphFixtures, { logger }),
      new StreamHost(registry, metrics, logger),
    );
    const server = await startAdmin(createAdminApp({ control, logger }), 0);
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const response = await fetch(`${url}/api/graphs`, {
      method: "POST",
      headers: { "content-type": "application/yaml" },
      body: flow(`a: {handler: "${outsideModule()}#run"}`),
    });
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain("is outside the folders");
    expect(registry.names).toEqual([]);
  });
});

describe("the admin plane's host and token rules", () => {
  it("answers 403 to a Host header that is not a loopback name when it has no token (DNS rebinding)", async () => {
    const logger = memoryLogger();
    const registry = GraphRegistry.of([]);
    const metrics = new GatewayMetrics({ processMetrics: false });
    const control = localControl(
      registry,
      metrics,
      compilerIn(graphFixtures, { logger }),
      new StreamHost(registry, metrics, logger),
    );
    const server = await startAdmin(createAdminApp({ control, logger }), 0);
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as AddressInfo).port;
    const statusWith = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          { host: "127.0.0.1", port, path: "/api/graphs", headers: { host } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on("error", reject);
        req.end();
      });
    expect(await statusWith("rebound.example.com:8081")).toBe(403);
    expect(await statusWith(`localhost:${port}`)).toBe(200);
    expect(await statusWith(`127.0.0.1:${port}`)).toBe(200);
    expect(await statusWith(`[::1]:${port}`)).toBe(200);
  });

  it("refuses to serve the admin plane on a non-loopback address without a token", async () => {
    const result = await sluice("serve", "--admin-host", "0.0.0.0", "test/fixtures/gateway/slow.yaml");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "--admin-host 0.0.0.0 is reachable from other machines: set --admin-token",
    );
  });
});
