import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  compareSummaries,
  formatComparison,
  formatSummary,
  ratioOf,
  readReport,
} from "../../src/loadtest/index.js";
import { report, summary } from "./fixture.js";

describe("sluice bench --compare", () => {
  const before = summary();
  const after = summary({
    requestsPerSecond: 5_500,
    latencyMs: { ...before.latencyMs, p50: 0.6, p99: 5 },
    non2xx: 3,
  });

  it("gives each headline figure's delta, change in percent and whether it got better", () => {
    expect(compareSummaries(before, after)).toEqual([
      { metric: "requests/s", before: 5000, after: 5500, delta: 500, change: 0.1, verdict: "better" },
      {
        metric: "latency p50",
        before: 0.8,
        after: 0.6,
        delta: expect.closeTo(-0.2, 9),
        change: expect.closeTo(-0.25, 9),
        verdict: "better",
      },
      { metric: "latency p99", before: 4, after: 5, delta: 1, change: 0.25, verdict: "worse" },
      { metric: "errors", before: 0, after: 0, delta: 0, change: undefined, verdict: "same" },
      { metric: "non-2xx", before: 0, after: 3, delta: 3, change: undefined, verdict: "worse" },
    ]);
  });

  it("prints the deltas as a table with the files' names over the columns", () => {
    const text = formatComparison(compareSummaries(before, after), "a.json", "b.json");
    expect(text.split("\n")).toEqual([
      "               a.json    b.json      delta  change",
      "requests/s      5,000     5,500       +500    +10%  better",
      "latency p50  0.800 ms  0.600 ms  -0.200 ms    -25%  better",
      "latency p99   4.00 ms   5.00 ms   +1.00 ms    +25%  worse",
      "errors              0         0         ±0     n/a",
      "non-2xx             0         3         +3     n/a  worse",
      "",
    ]);
  });

  it("reads back what --json wrote, and refuses other files with a clear line", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sluice-compare-"));
    const good = join(dir, "good.json");
    await writeFile(good, JSON.stringify(report()));
    expect((await readReport(good)).target.summary.requestsPerSecond).toBe(5000);

    await writeFile(join(dir, "other.json"), '{"hello": "world"}');
    await expect(readReport(join(dir, "other.json"))).rejects.toThrow(
      "is not a result of `sluice bench --json`",
    );
    await writeFile(join(dir, "broken.json"), "{");
    await expect(readReport(join(dir, "broken.json"))).rejects.toThrow("is not valid JSON");
    await expect(readReport(join(dir, "missing.json"))).rejects.toThrow("cannot read");
  });
});

describe("sluice bench --baseline", () => {
  it("gives sluice's requests/s and p99 over the bare server's, and says so in a sentence", () => {
    const sluice = summary({ requestsPerSecond: 6_000, latencyMs: { ...summary().latencyMs, p99: 6 } });
    const bare = summary({ requestsPerSecond: 10_000, latencyMs: { ...summary().latencyMs, p99: 4 } });
    const ratio = ratioOf(sluice, bare);
    expect(ratio).toEqual({ requestsPerSecond: 0.6, p99: 1.5 });
    const text = formatSummary({ ...report(), ratio });
    expect(text).toContain("sluice vs bare node:http: 0.60× the requests/s, 1.50× the p99 latency");
  });
});
