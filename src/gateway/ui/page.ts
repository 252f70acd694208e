/**
 * `GET /ui`: one self-contained page (no build step, nothing fetched from elsewhere). It lists
 * the served graphs, draws each DAG from `/api/graphs/<name>/svg` (boxes carry `data-step`),
 * and polls `/api/stats` every second: per graph requests/s, errors/s, in flight and p50/p99,
 * per step the same figures written under its box and in a table, and per remote target its
 * breaker state, coloured on the target and on the steps that call it. The figures are
 * computed by the admin plane (stats.ts); the page only lays them out. Every name from the
 * server reaches the page through textContent or setAttribute, never as markup; the SVG
 * itself is the gateway's own drawing, whose text is XML-escaped.
 *
 * The script is plain ES2020 inside this string: it avoids backquotes and dollar-brace so the
 * template literal stays literal.
 */
export const uiPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sluice admin</title>
<link rel="icon" href="data:,">
<style>
:root{--ink:#0f172a;--muted:#64748b;--line:#e2e8f0;--ok:#15803d;--warn:#b45309;--bad:#b91c1c}
*{box-sizing:border-box}
body{margin:0;font:14px system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--ink);background:#f8fafc}
header{display:flex;align-items:baseline;gap:16px;padding:12px 20px;background:#fff;border-bottom:1px solid var(--line)}
h1{font-size:18px;margin:0}
h2{font-size:16px;margin:0 0 8px}
#status{color:var(--muted)}
#status.down{color:var(--bad)}
main{padding:16px 20px;display:grid;gap:16px}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:14px 16px}
.file{color:var(--muted);font-weight:normal;font-size:12px;margin-left:8px}
.summary{display:flex;flex-wrap:wrap;gap:8px 24px;margin-bottom:10px}
.summary div{display:flex;flex-direction:column}
.summary b{font-size:18px;font-variant-numeric:tabular-nums}
.summary span{color:var(--muted);font-size:12px}
.dag{overflow:auto;margin:6px 0 10px}
.dag svg{display:block;max-width:none}
.ui-fig{font:10px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;fill:var(--ink);paint-order:stroke;stroke:#fff;stroke-width:3px}
.ui-fig.failing{fill:var(--bad)}
g.ui-busy>rect.sl-box{stroke:#2563eb;stroke-width:2}
g.ui-failing>rect.sl-box,g.ui-failing>rect.sl-frame{stroke:var(--bad);stroke-width:2.5}
g.ui-half-open>rect.sl-box{fill:#fef3c7}
g.ui-open>rect.sl-box{fill:#fee2e2}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{padding:3px 10px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}
th{color:var(--muted);font-weight:600;font-size:12px}
.breakers{list-style:none;padding:0;margin:0 0 10px;display:flex;flex-wrap:wrap;gap:6px}
.state{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;color:#fff;background:var(--muted)}
.state.closed{background:var(--ok)}
.state.half-open{background:var(--warn)}
.state.open{background:var(--bad)}
.empty{color:var(--muted)}
</style>
</head>
<body>
<header><h1>sluice</h1><span id="status">connecting…</span></header>
<main id="graphs"><p class="empty">loading the served graphs…</p></main>
<script>
"use strict";
const POLL_MS = 1000;
/** Graph list and drawings are re-read this often, to follow graphs loaded over the API. */
const REFRESH_MS = 10000;
const SVG_NS = "http://www.w3.org/2000/svg";
/** Room added under the drawing for the figures written below the lowest boxes. */
const FIGURE_ROOM = 14;
const stepColumns = ["runsPerSecond", "errorsPerSecond", "runs", "errors", "p50Ms", "p99Ms"];
const stepHeadings = ["step", "runs/s", "errors/s", "runs", "errors", "p50", "p99", "breaker"];
const graphFields = [
  ["requestsPerSecond", "requests/s"], ["errorsPerSecond", "errors/s"], ["inFlight", "in flight"],
  ["p50Ms", "p50"], ["p99Ms", "p99"], ["requests", "requests"], ["errors", "errors"],
];
const views = new Map();
const main = document.getElementById("graphs");
const status = document.getElementById("status");

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

async function getJson(path) {
  const response = await fetch(path, { cache: "no-store" });
  if (!response.ok) throw new Error(path + " answered " + response.status);
  return response.json();
}

function rate(n) {
  if (n === null || n === undefined) return "—";
  if (n === 0) return "0";
  return n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : String(Math.round(n));
}

function duration(ms) {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1) return Math.round(ms * 1000) + " µs";
  if (ms < 10) return ms.toFixed(2) + " ms";
  if (ms < 1000) return ms.toFixed(1) + " ms";
  return (ms / 1000).toFixed(2) + " s";
}

function format(field, value) {
  if (field.endsWith("Ms")) return duration(value);
  if (field.endsWith("PerSecond")) return rate(value);
  return value === undefined ? "—" : String(value);
}

function buildView(graph) {
  const section = el("section", { "data-graph": graph.name });
  const title = el("h2", {}, graph.name);
  title.append(el("span", { class: "file" }, graph.file + (graph.default ? " · default graph" : "")));
  const summary = el("div", { class: "summary" });
  const cells = {};
  for (const [field, label] of graphFields) {
    const box = el("div");
    cells[field] = el("b", { "data-field": field }, "—");
    box.append(cells[field], el("span", {}, label));
    summary.append(box);
  }
  const breakers = el("ul", { class: "breakers" });
  const dag = el("div", { class: "dag" });
  const table = el("table");
  const head = el("tr");
  for (const h of stepHeadings) head.append(el("th", {}, h));
  table.append(el("thead"), el("tbody"));
  table.tHead.append(head);
  section.append(title, summary, breakers, dag, table);
  return { name: graph.name, section, cells, breakers, dag, rows: table.tBodies[0], svgText: "", stepTargets: new Map(), order: [] };
}

/** Draws (or redraws) a graph: its SVG, its step rows, and which steps call which target. */
async function draw(view) {
  const [svgText, described] = await Promise.all([
    fetch("/api/graphs/" + encodeURIComponent(view.name) + "/svg", { cache: "no-store" }).then((r) => (r.ok ? r.text() : "")),
    getJson("/api/graphs/" + encodeURIComponent(view.name)),
  ]);
  view.stepTargets = new Map();
  for (const target of described.targets || []) for (const step of target.steps) view.stepTargets.set(step, target.target);
  view.order = (described.steps || []).map((s) => s.name);
  if (svgText === view.svgText) return;
  view.svgText = svgText;
  view.dag.innerHTML = svgText;
  const svg = view.dag.querySelector("svg");
  if (svg) {
    const height = Number(svg.getAttribute("height")) + FIGURE_ROOM;
    const [x, y, w] = (svg.getAttribute("viewBox") || "0 0 0 0").split(" ");
    svg.setAttribute("height", String(height));
    svg.setAttribute("viewBox", [x, y, w, height].join(" "));
    for (const node of svg.querySelectorAll("g[data-step]")) {
      const box = node.querySelector(":scope > rect");
      if (!box) continue;
      const text = document.createElementNS(SVG_NS, "text");
      text.setAttribute("class", "ui-fig");
      text.setAttribute("data-step", node.getAttribute("data-step"));
      text.setAttribute("x", String(Number(box.getAttribute("x")) + Number(box.getAttribute("width")) / 2));
      text.setAttribute("y", String(Number(box.getAttribute("y")) + Number(box.getAttribute("height")) + 11));
      text.setAttribute("text-anchor", "middle");
      node.after(text);
    }
  }
  view.rows.replaceChildren();
}

async function refreshGraphs() {
  const graphs = await getJson("/api/graphs");
  if (views.size === 0) main.replaceChildren();
  if (graphs.length === 0) main.replaceChildren(el("p", { class: "empty" }, "no graph is served"));
  const names = new Set(graphs.map((g) => g.name));
  for (const [name, view] of views) {
    if (!names.has(name)) {
      view.section.remove();
      views.delete(name);
    }
  }
  for (const graph of graphs) {
    let view = views.get(graph.name);
    if (!view) {
      view = buildView(graph);
      views.set(graph.name, view);
      main.append(view.section);
    }
    await draw(view);
  }
}

function rowOf(view, step) {
  let row = view.rows.querySelector("tr[data-step=\\"" + CSS.escape(step) + "\\"]");
  if (!row) {
    row = el("tr", { "data-step": step });
    row.append(el("td", {}, step));
    for (const field of stepColumns.concat(["breaker"])) row.append(el("td", { "data-field": field }, "—"));
    view.rows.append(row);
  }
  return row;
}

function show(view, stats) {
  for (const [field] of graphFields) view.cells[field].textContent = format(field, stats[field]);
  const breakers = stats.breakers || {};
  view.breakers.replaceChildren();
  for (const [target, state] of Object.entries(breakers)) {
    const item = el("li", { "data-target": target }, target + " ");
    item.append(el("span", { class: "state " + state, "data-state": state }, state));
    view.breakers.append(item);
  }
  const steps = stats.steps || {};
  const names = view.order.concat(Object.keys(steps).filter((s) => !view.order.includes(s)));
  for (const name of names) {
    const figures = steps[name];
    if (!figures) continue;
    const row = rowOf(view, name);
    for (const field of stepColumns) row.querySelector("[data-field=" + field + "]").textContent = format(field, figures[field]);
    const target = view.stepTargets.get(name);
    const state = target === undefined ? undefined : breakers[target] || "closed";
    const cell = row.querySelector("[data-field=breaker]");
    cell.replaceChildren(state ? el("span", { class: "state " + state }, state) : "—");
    const failing = (figures.errorsPerSecond || 0) > 0;
    for (const node of view.dag.querySelectorAll("[data-step=\\"" + CSS.escape(name) + "\\"]")) {
      if (node.tagName === "text") {
        node.textContent = rate(figures.runsPerSecond) + "/s · p99 " + duration(figures.p99Ms) +
          (figures.errorsPerSecond ? " · " + rate(figures.errorsPerSecond) + " err/s" : "");
        node.classList.toggle("failing", failing);
        continue;
      }
      node.classList.toggle("ui-busy", (figures.runsPerSecond || 0) > 0 && !failing);
      node.classList.toggle("ui-failing", failing);
      node.classList.toggle("ui-half-open", state === "half-open");
      node.classList.toggle("ui-open", state === "open");
    }
  }
}

async function poll() {
  try {
    const stats = await getJson("/api/stats");
    for (const [name, view] of views) if (stats.graphs[name]) show(view, stats.graphs[name]);
    const over = stats.intervalSeconds === null ? "first sample" : "over the last " + stats.intervalSeconds.toFixed(1) + " s";
    status.textContent = "updated " + new Date(stats.at).toLocaleTimeString() + ", rates " + over;
    status.className = "";
  } catch (error) {
    status.textContent = "the admin plane does not answer (" + error.message + "); retrying";
    status.className = "down";
  }
}

async function start() {
  try {
    await refreshGraphs();
  } catch (error) {
    status.textContent = "could not list the graphs (" + error.message + "); retrying";
    status.className = "down";
  }
  await poll();
  setInterval(poll, POLL_MS);
  setInterval(() => refreshGraphs().catch(() => {}), REFRESH_MS);
}

start();
</script>
</body>
</html>
`;
