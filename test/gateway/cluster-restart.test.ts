import { mkdtempSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sluice } from "../helpers/cli.js";
import { serveProcess } from "../helpers/serve-process.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A POST on a connection of its own: the cluster hands out connections, not requests, so a
 * kept-alive pool would stay with the workers it first met.
 */
function post(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = httpRequest(
      url,
      { method: "POST", agent: false, headers: { "content-type": "application/json" } },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => {
          text += d.toString();
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }),
        );
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/** The pids of the workers answering the slow graph (each answer carries its pid). */
async function workerPids(url: string, tries = 40): Promise<Set<number>> {
  const pids = new Set<number>();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let i = 0; i < tries / 4; i++) {
        const { body } = await post(`${url}/`, { ms: 1 });
        pids.add((body as { pid: number }).pid);
      }
    }),
  );
  return pids;
}

describe("sluice serve --workers: restarted workers", () => {
  it("a worker restarted after a crash serves the graphs posted over the admin API", async () => {
    const server = await serveProcess(["--workers", "2", "test/fixtures/gateway/slow.yaml"]);
    const document = `apiVersion: sluice/v1\nkind: Graph\nmetadata: {name: posted}\nspec:\n  steps:\n    stamp: {handler: builtin:set, args: {fields: {posted: true}}}\n`;
    const reply = await fetch(`${server.adminUrl}/api/graphs`, {
      method: "POST",
      headers: { "content-type": "application/yaml" },
      body: document,
    });
    expect(reply.status).toBe(201);
    const before = await workerPids(server.url);
    expect(before.size).toBe(2);
    process.kill([...before][0] as number, "SIGKILL");
    let after = before;
    for (let i = 0; i < 100 && [...after].every((pid) => before.has(pid)); i++) {
      await sleep(100);
      after = await workerPids(server.url, 8);
    }
    expect([...after].some((pid) => !before.has(pid))).toBe(true);
    const statuses = await Promise.all(
      Array.from({ length: 20 }, () => post(`${server.url}/graphs/posted/`, {}).then((r) => r.status)),
    );
    expect(statuses).toEqual(Array(20).fill(200));
  });

  it("backs off and gives up with a clear message when replacement workers cannot start", async () => {
    const marker = join(mkdtempSync(join(tmpdir(), "sluice-marker-")), "fail");
    const server = await serveProcess(["--workers", "2", "test/fixtures/gateway/fails-on-marker.yaml"], {
      SLUICE_TEST_FAIL_MARKER: marker,
    });
    const { body } = await post(`${server.url}/`, {});
    writeFileSync(marker, "");
    const started = Date.now();
    process.kill((body as { pid: number }).pid, "SIGKILL");
    while (!server.stderr().includes("not starting another") && Date.now() - started < 15_000)
      await sleep(100);
    const failures = server.stderr().match(/replacement worker failed to start"/g) ?? [];
    expect(failures.length).toBe(5);
    // 100 + 200 + 400 + 800 ms of backoff between the five attempts, not 16 forks in 3 s.
    expect(Date.now() - started).toBeGreaterThan(1500);
    // The other worker still serves.
    expect((await post(`${server.url}/`, {})).status).toBe(200);
  });

  it("refuses --workers beyond its bound", async () => {
    const result = await sluice("serve", "--workers", "1000", "test/fixtures/gateway/slow.yaml");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--workers must be at most 64");
  });
});
