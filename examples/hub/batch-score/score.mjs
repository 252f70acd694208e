// hub://batch-score: reads SLUICE_PARAMS {input, weights, bias}, scores each JSON line with a
// logistic model over its numeric fields, writes <input>.scored.jsonl, and reports counts.
import { createReadStream, createWriteStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createInterface } from "node:readline";

const params = JSON.parse(process.env.SLUICE_PARAMS ?? "{}");
const { input, weights = {}, bias = 0 } = params;
const threshold = Number(process.env.SCORE_THRESHOLD ?? 0.5);
if (typeof input !== "string") {
  console.error("batch-score: give the input: --param input=events.jsonl");
  process.exit(2);
}
const output = `${input.replace(/\.jsonl?$/, "")}.scored.jsonl`;
const out = createWriteStream(output);
let rows = 0;
let positive = 0;
for await (const line of createInterface({
  input: createReadStream(input),
  crlfDelay: Number.POSITIVE_INFINITY,
})) {
  if (line.trim() === "") continue;
  const row = JSON.parse(line);
  let z = bias;
  for (const [field, weight] of Object.entries(weights)) z += weight * (Number(row[field]) || 0);
  const score = 1 / (1 + Math.exp(-z));
  rows++;
  if (score >= threshold) positive++;
  out.write(`${JSON.stringify({ ...row, score })}\n`);
}
await new Promise((resolve) => out.end(resolve));
console.log(`batch-score: ${rows} rows scored, ${positive} at or above ${threshold}, written to ${output}`);
if (process.env.SLUICE_RESULTS_FILE) {
  await writeFile(process.env.SLUICE_RESULTS_FILE, JSON.stringify({ rows, positive, output }));
}
