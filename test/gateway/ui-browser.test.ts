import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { ensureChromium } from "../helpers/chromium.js";
import { postJson, testGateway } from "../helpers/gateway.js";
import { startUpstream, status } from "../helpers/upstream.js";

let browser: Browser;
beforeAll(async () => {
  const executablePath = ensureChromium();
  // Root in a container: chromium's sandbox needs namespaces it does not get here.
  browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
}, 180_000);
afterAll(() => browser?.close());

/** A page that records its script errors and every URL it asks for. */
async function openPage(url: string): Promise<{ page: Page; problems: string[]; requested: string[] }> {
  const page = await browser.newPage();
  onTestFinished(() => page.close());
  const problems: string[] = [];
  const requested: string[] = [];
  page.on("pageerror", (error) => problems.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(message.text());
  });
  page.on("request", (request) => requested.push(request.url()));
  await page.goto(url);
  return { page, problems, requested };
}

/** A graph whose remote step calls an upstream that always fails: its breaker opens after two calls. */
async function scoringGraph(upstream: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "sluice-ui-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, "scoring.yaml");
  await writeFile(
    file,
    [
      "apiVersion: sluice/v1",
      "kind: Graph",
      "metadata: {name: scoring}",
      "spec:",
      "  steps:",
      `    call: {kind: remote, url: "${upstream}/score", breaker: {volumeThreshold: 2, resetTimeout: 60s}}`,
      "",
    ].join("\n"),
  );
  return file;
}

const number = (text: string | null) => Number.parseFloat(text ?? "");

describe("the admin plane's /ui page", () => {
  it("draws each graph's DAG and keeps its per-step figures and breaker states up to date", async () => {
    const upstream = await startUpstream(status(500));
    const gateway = await testGateway(["flow.yaml", await scoringGraph(upstream.url)]);
    for (let i = 0; i < 3; i++) expect((await postJson(`${gateway.url}/`, { n: 1 })).status).toBe(200);
    for (let i = 0; i < 3; i++) await postJson(`${gateway.url}/graphs/scoring/score`, {});

    const { page, problems, requested } = await openPage(`${gateway.adminUrl}/ui`);

    // Both graphs are drawn, every flow step a box of the gateway's SVG.
    const flow = page.locator('section[data-graph="flow"]');
    await expect.poll(() => flow.locator("svg g[data-step]").count()).toBe(3);
    expect(await flow.locator("svg g[data-step]").evaluateAll((gs) => gs.map((g) => g.dataset.step))).toEqual(
      ["a", "b", "keep"],
    );
    const scoring = page.locator('section[data-graph="scoring"]');
    await expect.poll(() => scoring.locator('svg g[data-step="call"]').count()).toBe(1);

    // Totals arrive with the first poll.
    const runs = flow.locator('tr[data-step="b"] [data-field="runs"]');
    await expect.poll(() => runs.textContent()).toBe("3");

    // With traffic flowing, rates and latencies appear and keep moving.
    const traffic = setInterval(() => void postJson(`${gateway.url}/`, { n: 1 }).catch(() => {}), 40);
    onTestFinished(() => clearInterval(traffic));
    const rate = flow.locator('tr[data-step="b"] [data-field="runsPerSecond"]');
    await expect.poll(async () => number(await rate.textContent()), { timeout: 10_000 }).toBeGreaterThan(0);
    const p99 = await flow.locator('tr[data-step="b"] [data-field="p99Ms"]').textContent();
    expect(p99).toMatch(/^\d+(\.\d+)? (µs|ms|s)$/);
    // incLater waits 5 ms: its median is in the milliseconds.
    expect(await flow.locator('tr[data-step="b"] [data-field="p50Ms"]').textContent()).toMatch(/ ms$/);
    expect(await flow.locator('text.ui-fig[data-step="b"]').textContent()).toMatch(/^\d+(\.\d+)?\/s · p99 /);
    const before = number(await runs.textContent());
    await expect
      .poll(async () => number(await runs.textContent()), { timeout: 10_000 })
      .toBeGreaterThan(before);
    const requests = flow.locator('[data-field="requestsPerSecond"]');
    expect(number(await requests.textContent())).toBeGreaterThan(0);

    // The failing target's breaker opened: named and coloured, and so is the step that calls it.
    const breaker = scoring.locator(".breakers li .state");
    await expect.poll(() => breaker.getAttribute("data-state")).toBe("open");
    expect(await scoring.locator(".breakers li").getAttribute("data-target")).toBe(upstream.url);
    // The page has a DOM; this project's TypeScript has no DOM library, hence the cast.
    type Styles = { getComputedStyle(el: unknown): { backgroundColor: string } };
    const colour = await breaker.evaluate(
      (el) => (globalThis as unknown as Styles).getComputedStyle(el).backgroundColor,
    );
    expect(colour).toBe("rgb(185, 28, 28)");
    expect(await scoring.locator('svg g[data-step="call"]').getAttribute("class")).toContain("ui-open");
    expect(await scoring.locator('tr[data-step="call"] [data-field="errors"]').textContent()).toBe("3");

    expect(problems).toEqual([]);
    expect(requested.filter((url) => !url.startsWith(`${gateway.adminUrl}/`))).toEqual([]);
  });
});
