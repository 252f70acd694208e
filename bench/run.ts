/**
 * The bench suite: `npm run bench [-- <filter>]`. Every scenario measures sluice and a
 * baseline side by side in one run and prints medians and their ratio as a markdown table,
 * ready for bench/README.md. Results are merged into bench/results/latest.json by name.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { show } from "./lib/measure.js";
import { judge, type Scenario, type ScenarioResult } from "./lib/scenario.js";
import { peerScenarios } from "./peers/index.js";
import { batchingScenarios } from "./scenarios/batching.js";
import { coldStartScenarios } from "./scenarios/cold-start.js";
import { controlPlaneScenarios } from "./scenarios/control-plane.js";
import { executorScenarios } from "./scenarios/executor.js";
import { functionScenarios } from "./scenarios/functions.js";
import { gatewayScenarios } from "./scenarios/gateway.js";
import { generateScenarios } from "./scenarios/generate.js";
import { grpcScenarios } from "./scenarios/grpc.js";
import { kafkaClientScenarios } from "./scenarios/kafka-clients.js";
import { memoryScenarios } from "./scenarios/memory.js";
import { monitoringScenarios } from "./scenarios/monitoring.js";
import { remoteScenarios } from "./scenarios/remote.js";
import { remoteSoakScenarios } from "./scenarios/remote-soak.js";
import { renderScenarios } from "./scenarios/render.js";
import { soakScenarios } from "./scenarios/soak.js";
import { streamScenarios } from "./scenarios/streams.js";
import { tensorScenarios } from "./scenarios/tensors.js";

const scenarios: Scenario[] = [
  ...executorScenarios,
  ...gatewayScenarios,
  ...tensorScenarios,
  ...batchingScenarios,
  ...grpcScenarios,
  ...monitoringScenarios,
  ...generateScenarios,
  ...memoryScenarios,
  ...coldStartScenarios,
  ...remoteScenarios,
  ...remoteSoakScenarios,
  ...streamScenarios,
  ...kafkaClientScenarios,
  ...functionScenarios,
  ...renderScenarios,
  ...controlPlaneScenarios,
  ...soakScenarios,
  ...peerScenarios,
];
const filter = process.argv[2];
const selected = scenarios.filter((s) => (filter ? s.name.includes(filter) : !s.onlyWhenAsked));
if (selected.length === 0) throw new Error(`no scenario's name contains "${filter}"`);

const date = new Date().toISOString().slice(0, 10);
const machine = `${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}, ${date}`;
console.log(`machine: ${machine}\n`);
console.log("| scenario | sluice | baseline | ratio | bar | |");
console.log("|---|---:|---:|---:|---|---|");
const verdict = (pass: boolean | undefined) => (pass === undefined ? "" : pass ? "ok" : "**misses the bar**");
const results: (ScenarioResult & { date: string })[] = [];
let failed = 0;
for (const scenario of selected) {
  // Progress on stderr, so stdout stays the table.
  process.stderr.write(`running ${scenario.name}\n`);
  // A scenario that fails (errors under load, a server that died) says so in its row and
  // the suite goes on: one broken scenario should not cost the figures of the others.
  const measured = await scenario.run().catch((error: unknown) => {
    failed++;
    process.stderr.write(`${scenario.name} failed: ${(error as Error).stack ?? error}\n`);
    const why = ((error as Error).message ?? String(error)).split("\n", 1)[0];
    console.log(`| ${scenario.name} | — | — | — | | **failed**: ${why} |`);
    return undefined;
  });
  if (!measured) continue;
  for (const r of judge(scenario, measured)) {
    results.push({ ...r, date });
    // Two significant digits below 0.1: a peer 300 times slower is 0.0033, not 0.00.
    const ratio = Number.isNaN(r.ratio) ? "—" : r.ratio < 0.1 ? r.ratio.toPrecision(2) : r.ratio.toFixed(2);
    console.log(
      `| ${r.name} | ${show(r.subject, r.unit)} | ${show(r.baseline, r.unit)} | ${ratio} | ${r.bar} | ${verdict(r.pass)} |`,
    );
  }
}

// A filtered run (say, the memory soak) replaces only its own rows in the saved results.
const out = join(dirname(fileURLToPath(import.meta.url)), "results", "latest.json");
const saved = await readFile(out, "utf8").then(
  (text) => (JSON.parse(text) as { results?: ScenarioResult[] }).results ?? [],
  () => [],
);
const fresh = new Set(results.map((r) => r.name));
await mkdir(dirname(out), { recursive: true });
await writeFile(
  out,
  JSON.stringify({ machine, results: [...saved.filter((r) => !fresh.has(r.name)), ...results] }, null, 2),
);
if (results.some((r) => r.pass === false)) console.log("\nsome figures miss their bar");
if (failed > 0) {
  console.log(`\n${failed} scenario(s) failed`);
  process.exitCode = 1;
}
