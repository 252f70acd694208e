/**
 * The bench suite: `npm run bench [-- <filter>]`. Every scenario measures sluice and a bare
 * baseline side by side in one run and prints medians and their ratio as a markdown table,
 * ready for bench/README.md. Results also go to bench/results/latest.json.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fmt } from "./lib/measure.js";
import { judge, type Scenario, type ScenarioResult } from "./lib/scenario.js";
import { executorScenarios } from "./scenarios/executor.js";

const scenarios: Scenario[] = [...executorScenarios];
const filter = process.argv[2];
const selected = scenarios.filter((s) => !filter || s.name.includes(filter));

const machine = `${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
console.log(`machine: ${machine}\n`);
console.log("| scenario | sluice | bare baseline | ratio | bar | |");
console.log("|---|---:|---:|---:|---|---|");
const results: ScenarioResult[] = [];
for (const scenario of selected) {
  const result = judge(scenario, await scenario.run());
  results.push(result);
  const verdict = result.pass ? "ok" : "**below the bar**";
  console.log(
    `| ${result.name} | ${fmt(result.subject)} ${result.unit} | ${fmt(result.baseline)} ${result.unit} | ${result.ratio.toFixed(2)} | ${result.bar} | ${verdict} |`,
  );
}
const out = join(dirname(fileURLToPath(import.meta.url)), "results", "latest.json");
await mkdir(dirname(out), { recursive: true });
await writeFile(out, JSON.stringify({ machine, results }, null, 2));
if (results.some((r) => !r.pass)) console.log("\nsome scenarios are below their bar");
