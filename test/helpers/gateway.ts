import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { onTestFinished } from "vitest";
import type { Gateway } from "../../src/gateway/gateway.js";
import { type ServeSettings, startGateway } from "../../src/gateway/serve.js";
import { memoryLogger } from "./graphs.js";

export const gatewayFixtures = join(fileURLToPath(new URL("../fixtures/gateway/", import.meta.url)));

/** `sluice serve`'s settings for fixture graphs (names in test/fixtures/gateway, or paths) on free loopback ports. */
export function gatewaySettings(files: string[], overrides: Partial<ServeSettings> = {}): ServeSettings {
  return {
    files: files.map((f) => (f.includes("/") ? f : join(gatewayFixtures, f))),
    port: 0,
    host: "127.0.0.1",
    adminPort: 0,
    adminHost: "127.0.0.1",
    adminToken: undefined,
    workers: 1,
    timeoutMs: 10_000,
    maxTimeoutMs: 30_000,
    bodyLimit: 64 * 1024,
    mapping: undefined,
    version: "0.0.0-test",
    graceMs: 10_000,
    ...overrides,
  };
}

/** Starts a real gateway on free loopback ports with fixture graphs; stopped after the test. */
export async function testGateway(
  files: string[],
  overrides: Partial<ServeSettings> = {},
): Promise<Gateway & { url: string; adminUrl: string }> {
  const gateway = await startGateway(gatewaySettings(files, overrides), memoryLogger());
  onTestFinished(() => gateway.close());
  for (const graph of gateway.registry.graphs) await graph.whenReady();
  return Object.assign(gateway, {
    url: `http://127.0.0.1:${gateway.address.port}`,
    adminUrl: `http://127.0.0.1:${gateway.adminAddress?.port}`,
  });
}

/** POSTs JSON and returns status, headers and the parsed body. */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as unknown) : undefined,
  };
}

export async function getJson(url: string) {
  const response = await fetch(url);
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as unknown) : undefined,
  };
}

/** How many requests are inside `graph` now, as a gateway's admin plane (`adminUrl`) reports it. */
export async function requestsInFlight(adminUrl: string, graph: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`sluice_requests_in_flight{graph="${graph}"}`));
  return line === undefined ? 0 : Number(line.split(" ").at(-1));
}
