import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import type { BenchReport } from "../../src/loadtest/index.js";
import { sluice } from "../helpers/cli.js";

const graph = "examples/enrichment/graph.yaml";
const body = '{"user":"u1","amount":250,"country":"NL"}';
// Short and light: the point is the command's behaviour, not the figures.
const quick = ["--duration", "500ms", "--warmup", "0", "--connections", "2"];

const tempDir = () => mkdtemp(join(tmpdir(), "sluice-bench-"));

/** A server in this process that answers every request with 404, like a wrong path would. */
async function notFoundServer(): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(404, { "content-type": "application/json" });
    res.end('{"error":"no such route"}');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("sluice bench", () => {
  it("serves a graph, loads it next to a bare node:http server, and writes the JSON result and the HTML report", async () => {
    const dir = await tempDir();
    const json = join(dir, "result.json");
    const html = join(dir, "report.html");
    const { code, stdout, stderr } = await sluice(
      "bench",
      graph,
      ...quick,
      "--body",
      body,
      "--baseline",
      "--json",
      json,
      "--report",
      html,
    );
    expect(stderr).toContain("sluice bench: serving examples/enrichment/graph.yaml");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^latency p99 +[\d.]+ m?s +[\d.]+ m?s$/m);
    expect(stdout).toMatch(/^sluice vs bare node:http: [\d.]+× the requests\/s, [\d.]+× the p99 latency$/m);

    const report = JSON.parse(await readFile(json, "utf8")) as BenchReport;
    expect(report.settings).toMatchObject({
      target: graph,
      method: "POST",
      path: "/",
      connections: 2,
      baseline: true,
    });
    for (const run of [report.target, report.baseline]) {
      expect(run?.summary.requests).toBeGreaterThan(0);
      expect(run?.summary).toMatchObject({ errors: 0, non2xx: 0 });
      const { p50, p90, p99, p99_9, max } = run?.summary.latencyMs ?? {};
      expect(p50).toBeGreaterThan(0);
      expect([p50, p90, p99, p99_9, max]).toEqual(
        [...[p50, p90, p99, p99_9, max]].sort((a = 0, b = 0) => a - b),
      );
      expect(run?.seconds.length).toBeGreaterThan(0);
      expect(run?.autocannon.requests.total).toBe(run?.summary.requests);
    }
    expect(report.target.label).toBe("sluice");
    // The ratio is sluice's figures over the baseline's, both in the report.
    const [target, base] = [report.target.summary, report.baseline?.summary];
    expect(report.ratio?.requestsPerSecond).toBeCloseTo(
      target.requestsPerSecond / (base?.requestsPerSecond ?? 0),
      9,
    );
    expect(report.ratio?.p99).toBeCloseTo(target.latencyMs.p99 / (base?.latencyMs.p99 ?? 0), 9);

    const page = await readFile(html, "utf8");
    expect(page).toContain("Requests per second");
    expect(page).toContain("Latency distribution: sluice");
    expect(page).toContain("Latency distribution: baseline");
    expect(page).toContain("<td>target</td><td>examples/enrichment/graph.yaml</td>");
  });

  it("exits 1 and shows the first answer when the target answers non-2xx", async () => {
    const url = await notFoundServer();
    const { code, stdout, stderr } = await sluice("bench", `${url}/nope`, ...quick);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^non-2xx +[1-9][\d,]*$/m);
    expect(stderr).toMatch(
      /sluice: target: [\d,]+ of [\d,]+ responses were not 2xx \(404 ×[\d,]+\), 0 requests failed/,
    );
    expect(stderr).toContain(
      'hint: the first answer was 404 {"error":"no such route"}; --allow-errors accepts them',
    );
  });

  it("exits 0 on non-2xx answers with --allow-errors", async () => {
    const url = await notFoundServer();
    const { code, stderr } = await sluice("bench", url, ...quick, "--allow-errors");
    expect(code).toBe(0);
    expect(stderr).not.toContain("sluice: target");
  });

  it("exits 1 with one clear line when the URL cannot be reached", async () => {
    const url = await notFoundServer();
    const port = new URL(url).port;
    const { code, stderr } = await sluice(
      "bench",
      `http://127.0.0.1:${Number(port) === 1 ? 2 : 1}/`,
      ...quick,
    );
    expect(code).toBe(1);
    expect(stderr).toMatch(/^sluice: cannot reach http:\/\/127\.0\.0\.1:\d+\/: .*ECONNREFUSED/);
  });

  it.each([
    [[], "give a graph document or a URL"],
    [[graph, "--connections", "0"], "--connections must be a whole number ≥ 1"],
    [[graph, "--oip-input", "features:FP99:1x4"], 'unknown datatype "FP99"'],
    [[graph, "--body", "{}", "--body-file", "b.json"], "give one of --body, --body-file and --oip-input"],
    [["--compare", "a.json"], "--compare takes two --json files"],
    [[graph, "--no-such-flag"], "unknown option '--no-such-flag'"],
  ])("exits 2 on bad usage: %j", async (args, message) => {
    const { code, stderr } = await sluice("bench", ...args);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it("prints how one run moved against another with --compare", async () => {
    const dir = await tempDir();
    const fake = (requestsPerSecond: number, p99: number) => ({
      tool: "sluice bench",
      target: {
        summary: { requestsPerSecond, errors: 0, non2xx: 0, latencyMs: { p50: 1, p99 } },
      },
    });
    await writeFile(join(dir, "a.json"), JSON.stringify(fake(1000, 4)));
    await writeFile(join(dir, "b.json"), JSON.stringify(fake(1200, 3)));
    const { code, stdout } = await sluice("bench", "--compare", join(dir, "a.json"), join(dir, "b.json"));
    expect(code).toBe(0);
    expect(stdout).toMatch(/^requests\/s +1,000 +1,200 +\+200 +\+20% +better$/m);
    expect(stdout).toMatch(/^latency p99 +4\.00 ms +3\.00 ms +-1\.00 ms +-25% +better$/m);
  });
});
