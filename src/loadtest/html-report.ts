/**
 * `--report F.html`: one self-contained page (inline CSS and SVG, no script, nothing fetched)
 * that can be mailed, attached to an issue or opened offline years later.
 */
import { formatBytesPerSecond, formatCount, formatMs, formatRatio } from "./format.js";
import { binsOf } from "./histogram.js";
import { ratioSentence, summaryRows } from "./summary.js";
import { escapeXml, histogramChart, lineChart } from "./svg-charts.js";
import type { BenchReport, RunResult } from "./types.js";

const style = `
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2937; margin: 0; background: #f8fafc; }
main { max-width: 820px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 32px 0 8px; }
.sub { color: #6b7280; margin: 0 0 20px; word-break: break-all; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; }
.card { flex: 1 1 0; min-width: 110px; background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 12px 16px; }
.card .v { font-size: 24px; font-weight: 600; } .card .k { color: #6b7280; font-size: 13px; }
.card.bad .v { color: #b91c1c; }
table { border-collapse: collapse; background: #fff; border: 1px solid #e5e7eb; width: 100%; }
td, th { padding: 5px 12px; border-bottom: 1px solid #f1f5f9; text-align: right; font-variant-numeric: tabular-nums; }
td:first-child, th:first-child { text-align: left; color: #374151; }
table.settings th:last-child { text-align: left; }
table.settings td:last-child { text-align: left; font-family: ui-monospace, monospace; font-size: 13px; word-break: break-all; }
.ratio { background: #eff6ff; border-left: 4px solid #2563eb; padding: 8px 12px; margin: 12px 0 0; }
.chart { width: 100%; height: auto; background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; margin-top: 8px; }
.chart-title { font-weight: 600; font-size: 14px; fill: #111827; }
.grid { stroke: #eef2f7; } .axis { stroke: #9ca3af; }
.tick, .legend { font-size: 11px; fill: #4b5563; } .axis-label { font-size: 12px; fill: #6b7280; }
polyline { fill: none; stroke-width: 2; }
.series-0 { stroke: #2563eb; fill: #2563eb; } polyline.series-0 { fill: none; }
.series-1 { stroke: #9ca3af; fill: #9ca3af; stroke-dasharray: 5 4; } polyline.series-1 { fill: none; }
line.series-0, line.series-1 { stroke-width: 2; }
.bar { fill: #60a5fa; } .marker { stroke: #b91c1c; stroke-dasharray: 3 3; } .marker-label { font-size: 11px; fill: #b91c1c; }
footer { color: #9ca3af; font-size: 12px; margin-top: 32px; }
`;

function table(rows: string[][], className = ""): string {
  const [head, ...body] = rows;
  const cells = (row: string[], tag: string) => row.map((c) => `<${tag}>${escapeXml(c)}</${tag}>`).join("");
  return (
    `<table${className ? ` class="${className}"` : ""}>` +
    (head ? `<thead><tr>${cells(head, "th")}</tr></thead>` : "") +
    `<tbody>${body.map((row) => `<tr>${cells(row, "td")}</tr>`).join("")}</tbody></table>`
  );
}

function card(label: string, value: string, bad = false): string {
  return `<div class="card${bad ? " bad" : ""}"><div class="v">${escapeXml(value)}</div><div class="k">${escapeXml(label)}</div></div>`;
}

function settingsRows(report: BenchReport): string[][] {
  const s = report.settings;
  const rows: [string, string | number | undefined][] = [
    ["target", s.target],
    ["served with", s.kind === "graph" ? `sluice serve, ${s.workers ?? 1} worker(s)` : "already running"],
    ["request", `${s.method} ${s.path}`],
    [
      "headers",
      Object.entries(s.headers)
        .map(([k, v]) => `${k}: ${v}`)
        .join("; ") || "none",
    ],
    ["body", s.body ? `${s.body.source} (${s.body.bytes} bytes): ${s.body.preview}` : "none"],
    ["connections", s.connections],
    ["pipelining", s.pipelining],
    [s.amount !== undefined ? "requests" : "duration", s.amount ?? s.duration],
    [
      "offered rate",
      s.rate !== undefined ? `${s.rate} req/s (open loop)` : "as fast as answered (closed loop)",
    ],
    ["warm-up", s.warmup],
    ["timeout", s.timeout],
    [
      "machine",
      `${report.machine.cpus} × ${report.machine.cpuModel}, ${report.machine.platform}, Node ${report.machine.node}`,
    ],
    ["date", report.date],
    ["sluice", report.sluiceVersion],
  ];
  return [["setting", "value"], ...rows.map(([k, v]) => [k, String(v ?? "")])];
}

function statusRows(runs: RunResult[]): string[][] {
  const codes = [...new Set(runs.flatMap((r) => Object.keys(r.summary.statusCodes)))].sort();
  return [
    ["status", ...runs.map((r) => r.label)],
    ...codes.map((code) => [code, ...runs.map((r) => formatCount(r.summary.statusCodes[code] ?? 0))]),
  ];
}

function histogramOf(run: RunResult): string {
  const l = run.summary.latencyMs;
  return histogramChart({
    title: `Latency distribution: ${run.label}`,
    bins: binsOf(run.histogram),
    markers: [
      { label: "p50", ms: l.p50 },
      { label: "p90", ms: l.p90 },
      { label: "p99", ms: l.p99 },
      { label: "p99.9", ms: l.p99_9 },
    ],
    format: formatMs,
  });
}

/** The HTML page of a bench report. */
export function renderHtmlReport(report: BenchReport): string {
  const runs = report.baseline ? [report.target, report.baseline] : [report.target];
  const t = report.target.summary;
  const failed = t.errors + t.non2xx;
  const over = (pick: (s: RunResult["seconds"][number]) => number) =>
    runs.map((run) => ({ name: run.label, points: run.seconds.map((s) => ({ x: s.atSecond, y: pick(s) })) }));
  const ratio = ratioSentence(report);
  const title = `sluice bench: ${report.settings.target}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title><style>${style}</style></head>
<body><main>
<h1>${escapeXml(title)}</h1>
<p class="sub">${escapeXml(`${report.settings.method} ${report.target.url} · ${report.settings.connections} connections · ${report.date}`)}</p>
<div class="cards">
${card("requests/s", formatCount(t.requestsPerSecond))}
${card("latency p99", formatMs(t.latencyMs.p99))}
${card("throughput", formatBytesPerSecond(t.throughputBytesPerSecond))}
${card("errors + non-2xx", formatCount(failed), failed > 0)}
${report.ratio ? card("req/s vs bare node:http", formatRatio(report.ratio.requestsPerSecond)) : ""}
</div>
<h2>Summary</h2>
${table(summaryRows(runs))}
${ratio ? `<p class="ratio">${escapeXml(ratio)}</p>` : ""}
<h2>Over time</h2>
${lineChart({ title: "Requests per second", xLabel: "seconds into the run", format: formatCount, series: over((s) => s.requestsPerSecond) })}
${lineChart({ title: "p99 latency, per second", xLabel: "seconds into the run", format: formatMs, series: over((s) => s.p99Ms) })}
<h2>Latency</h2>
${runs.map(histogramOf).join("\n")}
<h2>Status codes</h2>
${table(statusRows(runs))}
<h2>Settings</h2>
${table(settingsRows(report), "settings")}
<footer>Written by sluice bench ${escapeXml(report.sluiceVersion)} with autocannon. Latency percentiles are measured per response (1% buckets).</footer>
</main></body></html>
`;
}
