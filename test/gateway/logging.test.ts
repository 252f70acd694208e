import { describe, expect, it, vi } from "vitest";
import { postJson } from "../helpers/gateway.js";
import { serveProcess } from "../helpers/serve-process.js";

/** Every line of a process's stderr, each parsed as JSON (a line that is not JSON fails the test). */
function jsonLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`a log line that is not JSON: ${line}`);
      }
    });
}

describe("sluice serve's logs (README: JSON lines on stderr; debug adds one line per request)", () => {
  it("at debug, writes one JSON line per request, with its id, graph, path and status", async () => {
    const server = await serveProcess(["test/fixtures/gateway/flow.yaml"], { SLUICE_LOG_LEVEL: "debug" });
    for (const id of ["log-1", "log-2", "log-3"]) {
      expect((await postJson(`${server.url}/orders`, { n: 1 }, { "x-request-id": id })).status).toBe(200);
    }
    // A last request marks the end: once its line is there, every earlier one is too.
    await postJson(`${server.url}/orders`, { n: 1 }, { "x-request-id": "log-end" });
    await vi.waitFor(() => expect(server.stderr()).toContain('"log-end"'), { timeout: 10_000 });
    const lines = jsonLines(server.stderr());
    const requests = lines.filter((line) => line.msg === "request");
    expect(requests.map((r) => r.requestId)).toEqual(["log-1", "log-2", "log-3", "log-end"]);
    expect(requests[0]).toMatchObject({ level: 20, graph: "flow", path: "/orders", status: 200 });
    expect(typeof requests[0]?.ms).toBe("number");
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  });

  it("at the default level, writes JSON lines and none per request", async () => {
    const server = await serveProcess(["test/fixtures/gateway/flow.yaml"]);
    for (let i = 0; i < 3; i++) expect((await postJson(`${server.url}/`, { n: 1 })).status).toBe(200);
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    // Exited: everything it wrote is in. Its last line says it stopped.
    const lines = jsonLines(server.stderr());
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((line) => line.msg === "request")).toEqual([]);
    expect(lines.every((line) => typeof line.level === "number" && typeof line.time === "number")).toBe(true);
  });
});
