import type { RunRecord } from "./store/runs.js";
import type { VersionInfo } from "./store/store.js";
import { defaultProject } from "./types.js";

/** Columns padded to their widest cell; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}

/** `2026-11-29T20:11:05.123Z` → `2026-11-29 20:11:05` (UTC). */
export function shortTime(iso: string | undefined): string {
  return iso === undefined ? "" : iso.slice(0, 19).replace("T", " ");
}

/** `sluice functions list`: one row per version, newest first within a function. */
export function versionsTable(versions: VersionInfo[]): string {
  const projects = versions.some((v) => v.project !== defaultProject);
  const header = [...(projects ? ["PROJECT"] : []), "NAME", "HASH", "KIND", "TAGS", "CREATED"];
  const rows = versions.map((v) => [
    ...(projects ? [v.project] : []),
    v.name,
    v.hash.slice(0, 12),
    v.kind,
    v.tags.join(",") || "-",
    shortTime(v.created),
  ]);
  return table(header, rows);
}

function took(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** `sluice functions runs`: one row per run, newest first. */
export function runsTable(runs: RunRecord[]): string {
  const rows = runs.map((r) => [
    r.uid.slice(0, 12),
    r.name,
    r.hash.slice(0, 12),
    r.state,
    shortTime(r.start),
    r.end === undefined ? "" : took(Date.parse(r.end) - Date.parse(r.start)),
    r.target ? `${r.target.kind} ${r.target.namespace}/${r.target.name}` : "local",
    r.error ?? JSON.stringify(r.results),
  ]);
  return table(["UID", "NAME", "HASH", "STATE", "START", "TOOK", "WHERE", "RESULTS / ERROR"], rows);
}
