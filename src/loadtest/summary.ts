/** A run's headline figures, and the table `sluice bench` prints. */
import type { AutocannonResult } from "./autocannon.js";
import { formatBytesPerSecond, formatCount, formatMs, formatRatio, textTable } from "./format.js";
import type { LatencyHistogram } from "./histogram.js";
import type { BenchReport, RunResult, Summary } from "./types.js";

/** Counts and rates from autocannon; latency percentiles from sluice's finer histogram. */
export function summarize(result: AutocannonResult, latency: LatencyHistogram): Summary {
  const seconds = result.duration > 0 ? result.duration : 1;
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) statusCodes[code] = count;
  return {
    requests: result.requests.total ?? 0,
    requestsPerSecond: (result.requests.total ?? 0) / seconds,
    throughputBytesPerSecond: (result.throughput.total ?? 0) / seconds,
    latencyMs: {
      mean: latency.meanMs,
      p50: latency.quantile(0.5),
      p90: latency.quantile(0.9),
      p99: latency.quantile(0.99),
      p99_9: latency.quantile(0.999),
      max: latency.maxMs,
    },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statusCodes,
    durationSeconds: result.duration,
  };
}

/** The target over the baseline; `requestsPerSecond` below 1 and `p99` above 1 is the cost. */
export function ratioOf(target: Summary, baseline: Summary): { requestsPerSecond: number; p99: number } {
  return {
    requestsPerSecond: target.requestsPerSecond / baseline.requestsPerSecond,
    p99: target.latencyMs.p99 / baseline.latencyMs.p99,
  };
}

/** The rows of the summary table, one column per run. */
export function summaryRows(runs: RunResult[]): string[][] {
  const row = (name: string, cell: (s: Summary) => string) => [name, ...runs.map((r) => cell(r.summary))];
  return [
    ["", ...runs.map((r) => r.label)],
    row("requests/s", (s) => formatCount(s.requestsPerSecond)),
    row("throughput", (s) => formatBytesPerSecond(s.throughputBytesPerSecond)),
    row("latency p50", (s) => formatMs(s.latencyMs.p50)),
    row("latency p90", (s) => formatMs(s.latencyMs.p90)),
    row("latency p99", (s) => formatMs(s.latencyMs.p99)),
    row("latency p99.9", (s) => formatMs(s.latencyMs.p99_9)),
    row("latency max", (s) => formatMs(s.latencyMs.max)),
    row("requests", (s) => formatCount(s.requests)),
    row("errors", (s) => formatCount(s.errors)),
    row("non-2xx", (s) => formatCount(s.non2xx)),
    row("timeouts", (s) => formatCount(s.timeouts)),
  ];
}

/** One sentence on the baseline ratio, or undefined without a baseline. */
export function ratioSentence(report: BenchReport): string | undefined {
  if (!report.ratio) return undefined;
  return (
    `${report.target.label} vs bare node:http: ${formatRatio(report.ratio.requestsPerSecond)} the requests/s, ` +
    `${formatRatio(report.ratio.p99)} the p99 latency`
  );
}

/** What `sluice bench` prints on stdout when the runs are over. */
export function formatSummary(report: BenchReport): string {
  const runs = report.baseline ? [report.target, report.baseline] : [report.target];
  const { settings } = report;
  const load = settings.amount !== undefined ? `${settings.amount} requests` : settings.duration;
  const lines = [
    `${settings.method} ${report.target.url} · ${settings.connections} connections · ${load}` +
      (settings.rate !== undefined ? ` · ${settings.rate} req/s offered` : ""),
    "",
    textTable(summaryRows(runs)),
  ];
  const ratio = ratioSentence(report);
  if (ratio) lines.push("", ratio);
  return `${lines.join("\n")}\n`;
}
