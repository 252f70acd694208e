import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Hub, runLocally } from "../../src/runtimes/index.js";

// The functions bundled in examples/hub, run as a user would run them with `sluice run hub://...`.
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sluice-hub-fn-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const quiet = () => new Writable({ write: (_chunk, _encoding, done) => done() });

async function run(name: string, params: Record<string, unknown>) {
  const { fn, base } = await new Hub().resolve(`hub://${name}`);
  return runLocally(fn, {
    origin: base,
    cacheDir: join(dir, "cache"),
    params,
    stdout: quiet(),
    stderr: quiet(),
  });
}

describe("the bundled hub functions", () => {
  it("csv-stats summarizes each column of a CSV file, quoted fields included", async () => {
    const csv = join(dir, "people.csv");
    await writeFile(csv, 'name,age,city\n"Doe, Jane",34,Paris\nBob,,"New ""York"""\nAmy,28,\n');
    const record = await run("csv-stats", { file: csv });
    expect(record.state).toBe("completed");
    expect(record.results).toEqual({
      rows: 3,
      columns: {
        name: { type: "string", missing: 0 },
        age: { type: "number", missing: 1, min: 28, max: 34, mean: 31 },
        city: { type: "string", missing: 1 },
      },
    });
  });

  it("http-check probes an endpoint and reports statuses and latency", async () => {
    const server = createServer((req, res) => res.writeHead(req.url === "/ready" ? 200 : 503).end());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ready`;
      const record = await run("http-check", { url, count: 3 });
      expect(record.results).toMatchObject({ requests: 3, failures: 0, statuses: { 200: 3 }, healthy: true });
      expect(record.results.p99_ms).toBeTypeOf("number");
    } finally {
      server.close();
    }
  });

  it("archive packs a directory and reports its size and checksum", async () => {
    const data = join(dir, "data");
    await mkdir(data, { recursive: true });
    await writeFile(join(data, "a.txt"), "hello\n");
    const record = await run("archive", { dir: data, out: join(dir, "archives") });
    expect(record).toMatchObject({ state: "completed", exit_code: 0 });
    const { archive, bytes, sha256 } = record.results as { archive: string; bytes: number; sha256: string };
    expect(existsSync(archive)).toBe(true);
    expect(bytes).toBeGreaterThan(0);
    expect(sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("batch-score scores a JSON Lines file with a logistic model and writes the scores", async () => {
    const input = join(dir, "events.jsonl");
    await writeFile(input, '{"id":1,"amount":10}\n{"id":2,"amount":-10}\n');
    const record = await run("batch-score", { input, weights: { amount: 1 }, bias: 0 });
    expect(record.results).toMatchObject({ rows: 2, positive: 1, output: join(dir, "events.scored.jsonl") });
    const scored = (await readFile(join(dir, "events.scored.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(scored[0].score).toBeGreaterThan(0.99);
    expect(scored[1].score).toBeLessThan(0.01);
  });

  it("archive fails clearly without a directory to pack", async () => {
    const record = await run("archive", { dir: join(dir, "nowhere") });
    expect(record).toMatchObject({ state: "error", exit_code: 2 });
    expect(record.error).toContain("is not a directory");
  });
});
