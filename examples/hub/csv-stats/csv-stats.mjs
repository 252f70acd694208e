// hub://csv-stats: a summary of a CSV file, read as a stream so large files fit in memory.
// params: file (required), delimiter (default ","). Results: rows and one entry per column.
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";

/** Splits one CSV line, honouring "quoted, fields" and "" escapes. */
function splitLine(line, delimiter) {
  const cells = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === delimiter) {
      cells.push(cell);
      cell = "";
    } else cell += c;
  }
  cells.push(cell);
  return cells;
}

export async function summarize(params, ctx) {
  const { file, delimiter = "," } = params;
  if (typeof file !== "string") throw new Error("give the CSV file: --param file=data.csv");
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  let header;
  let columns = [];
  let rows = 0;
  for await (const line of lines) {
    if (line.trim() === "") continue;
    const cells = splitLine(line, delimiter);
    if (!header) {
      header = cells;
      columns = header.map((name) => ({
        name,
        missing: 0,
        numeric: 0,
        sum: 0,
        min: Infinity,
        max: -Infinity,
      }));
      continue;
    }
    rows++;
    for (const [i, column] of columns.entries()) {
      const cell = (cells[i] ?? "").trim();
      if (cell === "") {
        column.missing++;
        continue;
      }
      const n = Number(cell);
      if (Number.isFinite(n)) {
        column.numeric++;
        column.sum += n;
        column.min = Math.min(column.min, n);
        column.max = Math.max(column.max, n);
      }
    }
  }
  if (!header) throw new Error(`${file} is empty`);
  ctx.log(`csv-stats: ${rows} rows, ${columns.length} columns in ${file}`);
  const summary = Object.fromEntries(
    columns.map((c) => {
      const present = rows - c.missing;
      const numeric = present > 0 && c.numeric === present;
      return [
        c.name,
        numeric
          ? { type: "number", missing: c.missing, min: c.min, max: c.max, mean: c.sum / present }
          : { type: "string", missing: c.missing },
      ];
    }),
  );
  return { rows, columns: summary };
}
