/** `sluice bench --compare a.json b.json`: how the second run moved against the first. */
import { readFile } from "node:fs/promises";
import { SluiceError } from "../errors.js";
import { formatCount, formatMs, formatPercent, textTable } from "./format.js";
import type { BenchReport, Summary } from "./types.js";

/** One compared figure; `change` is (after - before) / before, undefined when before is 0. */
export interface Delta {
  metric: string;
  before: number;
  after: number;
  delta: number;
  change: number | undefined;
  /** Whether the move is for the better, the worse, or neither. */
  verdict: "better" | "worse" | "same";
}

const metrics: { metric: string; pick: (s: Summary) => number; higherIsBetter: boolean }[] = [
  { metric: "requests/s", pick: (s) => s.requestsPerSecond, higherIsBetter: true },
  { metric: "latency p50", pick: (s) => s.latencyMs.p50, higherIsBetter: false },
  { metric: "latency p99", pick: (s) => s.latencyMs.p99, higherIsBetter: false },
  { metric: "errors", pick: (s) => s.errors, higherIsBetter: false },
  { metric: "non-2xx", pick: (s) => s.non2xx, higherIsBetter: false },
];

/** The deltas of the headline figures of two runs' targets. */
export function compareSummaries(before: Summary, after: Summary): Delta[] {
  return metrics.map(({ metric, pick, higherIsBetter }) => {
    const a = pick(before);
    const b = pick(after);
    const delta = b - a;
    return {
      metric,
      before: a,
      after: b,
      delta,
      change: a === 0 ? undefined : delta / a,
      verdict: delta === 0 ? "same" : delta > 0 === higherIsBetter ? "better" : "worse",
    };
  });
}

/** The deltas as a table, with the files' names over the columns. */
export function formatComparison(deltas: Delta[], beforeName: string, afterName: string): string {
  const value = (d: Delta, n: number) => (d.metric.startsWith("latency") ? formatMs(n) : formatCount(n));
  const signed = (d: Delta) => `${d.delta > 0 ? "+" : d.delta < 0 ? "-" : "±"}${value(d, Math.abs(d.delta))}`;
  const rows = [
    ["", beforeName, afterName, "delta", "change", ""],
    ...deltas.map((d) => [
      d.metric,
      value(d, d.before),
      value(d, d.after),
      signed(d),
      formatPercent(d.change),
      d.verdict === "same" ? "" : d.verdict,
    ]),
  ];
  return `${textTable(rows, [0, 5])}\n`;
}

/** Reads a file written by `sluice bench --json`. */
export async function readReport(file: string): Promise<BenchReport> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new SluiceError(
      "SLUICE_ERR_INPUT",
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code}`,
    );
  }
  let report: Partial<BenchReport>;
  try {
    report = JSON.parse(text) as Partial<BenchReport>;
  } catch (error) {
    throw new SluiceError("SLUICE_ERR_INPUT", `${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (report.tool !== "sluice bench" || typeof report.target?.summary?.requestsPerSecond !== "number") {
    throw new SluiceError("SLUICE_ERR_INPUT", `${file} is not a result of \`sluice bench --json\``);
  }
  return report as BenchReport;
}
