import { describe, expect, it } from "vitest";
import { renderHtmlReport } from "../../src/loadtest/index.js";
import { report } from "./fixture.js";

describe("sluice bench --report F.html", () => {
  const html = renderHtmlReport(report());

  it("is one HTML page that fetches nothing: no scripts, stylesheets, images or fonts from elsewhere", () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    // Inline SVG in HTML needs no namespace URL either.
    expect(html).not.toContain("http://www.w3.org");
  });

  it("draws requests/s and p99 over time, for the target and the baseline", () => {
    const charts = html.match(/<svg class="chart"[\s\S]*?<\/svg>/g) ?? [];
    const [requests, p99] = charts;
    expect(requests).toContain("Requests per second");
    expect(p99).toContain("p99 latency, per second");
    for (const chart of [requests, p99]) {
      expect(chart).toMatch(/<polyline class="series-0" points="[\d., ]+"/);
      expect(chart).toMatch(/<polyline class="series-1" points="[\d., ]+"/);
    }
    expect(requests).toContain("<title>sluice at 2s: 5,200</title>");
  });

  it("draws a latency histogram per run, with its percentiles marked", () => {
    const histograms =
      html.match(/<svg class="chart" [^>]*aria-label="Latency distribution[\s\S]*?<\/svg>/g) ?? [];
    expect(histograms).toHaveLength(2);
    const [target] = histograms;
    expect(target?.match(/<rect class="bar"/g)?.length).toBeGreaterThan(10);
    expect(target).toContain("p50 0.800 ms");
    expect(target).toContain("p99 4.00 ms");
  });

  it("shows the summary, the ratio to the bare server and the run's settings", () => {
    expect(html).toContain("<td>latency p99.9</td><td>9.00 ms</td><td>9.00 ms</td>");
    expect(html).toContain("sluice vs bare node:http: 0.50× the requests/s, 2.00× the p99 latency");
    for (const setting of [
      "<td>connections</td><td>7</td>",
      "<td>duration</td><td>2s</td>",
      "<td>warm-up</td><td>1s</td>",
    ]) {
      expect(html).toContain(setting);
    }
    expect(html).toContain("--body (13 bytes): {&#34;user&#34;:&#34;u1&#34;}");
    expect(html).toContain("2 × Test CPU, linux x64, Node v20.18.1");
  });

  it("marks errors in red and leaves the baseline out when there was none", () => {
    const page = renderHtmlReport(report({ baseline: false, target: { non2xx: 12 } }));
    expect(page).toContain('<div class="card bad"><div class="v">12</div>');
    expect(page).not.toContain('class="series-1"');
    expect(page).not.toContain("bare node:http");
  });

  it("escapes what came from the command line", () => {
    const r = report();
    r.settings.target = "<script>alert(1)</script>.yaml";
    expect(renderHtmlReport(r)).not.toContain("<script>");
  });
});
