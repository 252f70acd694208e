/** How numbers read in the summary table, the comparison and the HTML report. */

const grouped = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** `12,345`. */
export function formatCount(n: number): string {
  return grouped.format(Math.round(n));
}

/** A latency: `0.412 ms`, `12.3 ms`, `1.25 s`. */
export function formatMs(ms: number): string {
  if (ms === 0) return "0 ms";
  if (ms >= 1000) return `${(ms / 1000).toPrecision(3)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  return `${ms.toPrecision(3)} ms`;
}

/** Bytes per second: `812 KB/s`, `3.4 MB/s`. */
export function formatBytesPerSecond(bytes: number): string {
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 || unit === 0 ? value.toFixed(0) : value.toPrecision(3)} ${units[unit]}/s`;
}

/** A signed change in percent: `+5.3%`, `-12%`; `n/a` when there was nothing to compare to. */
export function formatPercent(fraction: number | undefined): string {
  if (fraction === undefined || !Number.isFinite(fraction)) return "n/a";
  const percent = fraction * 100;
  const digits = Math.abs(percent) >= 10 ? 0 : 1;
  return `${percent >= 0 ? "+" : ""}${percent.toFixed(digits)}%`;
}

/** A ratio: `0.62×`. */
export function formatRatio(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : "n/a";
}

/** Rows of cells as a plain-text table: numbers right-aligned, the `left` columns (words) left-aligned. */
export function textTable(rows: string[][], left: readonly number[] = [0]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => (left.includes(i) ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
