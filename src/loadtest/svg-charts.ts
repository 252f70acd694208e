/**
 * Charts as inline SVG strings, so that the HTML report needs no script and no library and
 * reads offline. Colours come from the page's CSS classes (`series-0`, `series-1`); every
 * point and bar has a `<title>`, which browsers show on hover.
 */
import type { HistogramBin } from "./histogram.js";

/** One line of a line chart. */
export interface LineSeries {
  name: string;
  points: { x: number; y: number }[];
}

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

const frame: Frame = { width: 760, height: 280, left: 72, right: 20, top: 36, bottom: 44 };

/** Escapes text for HTML and SVG content and attributes. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const r = (n: number) => Number(n.toFixed(1));

/** About `count` round tick values (1, 2 or 5 times a power of ten) from 0 to at least `max`. */
export function niceTicks(max: number, count = 5, smallestStep = 0): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = Math.max(max / count, smallestStep);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
  const ticks: number[] = [];
  for (let t = 0; t < max + step * 0.999; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** 1, 2 and 5 times powers of ten between `min` and `max`, for a log axis. */
function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let power = Math.floor(Math.log10(min)); 10 ** power <= max; power++) {
    for (const m of [1, 2, 5]) {
      const t = Number((m * 10 ** power).toPrecision(6));
      if (t >= min && t <= max) ticks.push(t);
    }
  }
  return ticks.length >= 2 ? ticks : [min, max];
}

function open(title: string, description: string): string {
  return (
    `<svg class="chart" viewBox="0 0 ${frame.width} ${frame.height}" role="img" aria-label="${escapeXml(description)}">` +
    `<text class="chart-title" x="${frame.left}" y="20">${escapeXml(title)}</text>`
  );
}

function yAxis(ticks: number[], y: (v: number) => number, format: (v: number) => string): string {
  return ticks
    .map(
      (t) =>
        `<line class="grid" x1="${frame.left}" x2="${frame.width - frame.right}" y1="${r(y(t))}" y2="${r(y(t))}"/>` +
        `<text class="tick" x="${frame.left - 8}" y="${r(y(t) + 4)}" text-anchor="end">${escapeXml(format(t))}</text>`,
    )
    .join("");
}

function xAxis(
  ticks: number[],
  x: (v: number) => number,
  format: (v: number) => string,
  label: string,
): string {
  const base = frame.height - frame.bottom;
  const marks = ticks
    .map(
      (t) =>
        `<line class="axis" x1="${r(x(t))}" x2="${r(x(t))}" y1="${base}" y2="${base + 5}"/>` +
        `<text class="tick" x="${r(x(t))}" y="${base + 18}" text-anchor="middle">${escapeXml(format(t))}</text>`,
    )
    .join("");
  return (
    `<line class="axis" x1="${frame.left}" x2="${frame.width - frame.right}" y1="${base}" y2="${base}"/>${marks}` +
    `<text class="axis-label" x="${(frame.left + frame.width - frame.right) / 2}" y="${frame.height - 6}" text-anchor="middle">${escapeXml(label)}</text>`
  );
}

function legend(names: string[]): string {
  if (names.length < 2) return "";
  return names
    .map((name, i) => {
      const x = frame.width - frame.right - 150 * (names.length - i);
      return (
        `<line class="series-${i}" x1="${x}" x2="${x + 24}" y1="16" y2="16"/>` +
        `<text class="legend" x="${x + 30}" y="20">${escapeXml(name)}</text>`
      );
    })
    .join("");
}

/** A line chart over time (x in seconds) of one or more series, e.g. requests/s of each run. */
export function lineChart(options: {
  title: string;
  xLabel: string;
  format: (y: number) => string;
  series: LineSeries[];
}): string {
  const points = options.series.flatMap((s) => s.points);
  const xTicks = niceTicks(Math.max(1, ...points.map((p) => p.x)), 8, 1);
  const maxX = xTicks.at(-1) ?? 1;
  const yTicks = niceTicks(Math.max(0, ...points.map((p) => p.y)));
  const maxY = yTicks.at(-1) ?? 1;
  const plotW = frame.width - frame.left - frame.right;
  const plotH = frame.height - frame.top - frame.bottom;
  const x = (v: number) => frame.left + (v / maxX) * plotW;
  const y = (v: number) => frame.top + plotH - (v / maxY) * plotH;
  const lines = options.series
    .map((s, i) => {
      const path = s.points.map((p) => `${r(x(p.x))},${r(y(p.y))}`).join(" ");
      const dots = s.points
        .map(
          (p) =>
            `<circle class="series-${i}" cx="${r(x(p.x))}" cy="${r(y(p.y))}" r="3">` +
            `<title>${escapeXml(`${s.name} at ${p.x}s: ${options.format(p.y)}`)}</title></circle>`,
        )
        .join("");
      return `<polyline class="series-${i}" points="${path}"/>${dots}`;
    })
    .join("");
  return (
    open(options.title, `${options.title}: ${options.series.map((s) => s.name).join(", ")}`) +
    yAxis(yTicks, y, options.format) +
    xAxis(xTicks, x, (v) => `${v}s`, options.xLabel) +
    lines +
    legend(options.series.map((s) => s.name)) +
    "</svg>"
  );
}

/** Latency bars on a log axis, with a dashed line at each percentile marker. */
export function histogramChart(options: {
  title: string;
  bins: HistogramBin[];
  markers: { label: string; ms: number }[];
  format: (ms: number) => string;
}): string {
  const { bins } = options;
  const first = bins[0];
  const last = bins.at(-1);
  if (!first || !last)
    return `${open(options.title, "no responses")}<text class="tick" x="${frame.left}" y="80">no responses</text></svg>`;
  const total = bins.reduce((sum, b) => sum + b.count, 0);
  const share = (count: number) => (count / total) * 100;
  const yTicks = niceTicks(Math.max(...bins.map((b) => share(b.count))));
  const maxY = yTicks.at(-1) ?? 1;
  const plotW = frame.width - frame.left - frame.right;
  const plotH = frame.height - frame.top - frame.bottom;
  const lo = Math.log(first.fromMs);
  const span = Math.log(last.toMs) - lo || 1;
  const x = (ms: number) => frame.left + ((Math.log(ms) - lo) / span) * plotW;
  const y = (v: number) => frame.top + plotH - (v / maxY) * plotH;
  const bars = bins
    .filter((b) => b.count > 0)
    .map((b) => {
      const top = y(share(b.count));
      const tip = `${options.format(b.fromMs)} – ${options.format(b.toMs)}: ${b.count} responses (${share(b.count).toFixed(1)}%)`;
      return (
        `<rect class="bar" x="${r(x(b.fromMs))}" y="${r(top)}" width="${r(Math.max(1, x(b.toMs) - x(b.fromMs) - 1))}" ` +
        `height="${r(frame.top + plotH - top)}"><title>${escapeXml(tip)}</title></rect>`
      );
    })
    .join("");
  const markers = options.markers
    .filter((m) => m.ms >= first.fromMs && m.ms <= last.toMs)
    .map((m, i) => {
      const mx = r(x(m.ms));
      const labelY = frame.top + 12 + (i % 2) * 14;
      // Near the right edge the label goes to the left of its line, so that it is not cut off.
      const label =
        mx > frame.width - frame.right - 110 ? `x="${mx - 4}" text-anchor="end"` : `x="${mx + 4}"`;
      return (
        `<line class="marker" x1="${mx}" x2="${mx}" y1="${frame.top}" y2="${frame.top + plotH}"/>` +
        `<text class="marker-label" ${label} y="${labelY}">${escapeXml(`${m.label} ${options.format(m.ms)}`)}</text>`
      );
    })
    .join("");
  return (
    open(options.title, `${options.title}: ${total} responses`) +
    yAxis(yTicks, y, (v) => `${v}%`) +
    xAxis(logTicks(first.fromMs, last.toMs), x, options.format, "latency (log scale)") +
    bars +
    markers +
    "</svg>"
  );
}
