/**
 * The control plane's renderer: `sluice deploy --dry-run` of a generated 100-step graph (every
 * step its own function, a Kafka queue halfway, a router) into Kubernetes objects and their
 * YAML, against reading and validating the same graph alone. The bar: under 200 ms.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { readGraphDocument } from "../../src/graph/index.js";
import { renderGraph } from "../../src/runtimes/render/index.js";
import { median } from "../lib/measure.js";
import type { Scenario } from "../lib/scenario.js";

/** A chain of `steps` steps with a switch router at a quarter and a Kafka queue at the middle. */
export function generatedGraph(steps: number): string {
  const lines = ["apiVersion: sluice/v1", "kind: Graph", "metadata: {name: bench}", "spec:", "  steps:"];
  for (let i = 0; i < steps; i++) {
    const after = i === 0 ? "" : `, after: [s${i - 1}]`;
    if (i === Math.floor(steps / 2)) {
      lines.push(`    s${i}: {kind: queue, stream: "kafka://kafka.kafka.svc:9092/bench"${after}}`);
    } else if (i === Math.floor(steps / 4)) {
      lines.push(
        `    s${i}: {kind: router, type: switch${after}, default: low, routes: {high: {handler: ./steps.mjs#b, when: "body.n > 1"}, low: {handler: ./steps.mjs#a}}}`,
      );
    } else {
      lines.push(`    s${i}: {handler: ./steps.mjs#${i % 2 === 0 ? "a" : "b"}, timeout: 2s${after}}`);
    }
  }
  lines.push(`  responder: s${Math.floor(steps / 2) - 1}`);
  return `${lines.join("\n")}\n`;
}

/** Median milliseconds of `work` over 9 runs, after 2 warm-up runs. */
async function medianMs(work: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 2; i++) await work();
  const runs: number[] = [];
  for (let i = 0; i < 9; i++) {
    const started = performance.now();
    await work();
    runs.push(performance.now() - started);
  }
  return median(runs);
}

export const renderScenarios: Scenario[] = [
  {
    name: "deploy: render a 100-step graph (--dry-run, YAML out) vs reading it",
    unit: "ms",
    bar: { subjectBelow: 200 },
    async run() {
      const dir = await mkdtemp(join(tmpdir(), "sluice-bench-render-"));
      try {
        const file = join(dir, "graph.yaml");
        await writeFile(file, generatedGraph(100));
        await writeFile(join(dir, "steps.mjs"), "export const a = (b) => b;\nexport const b = (x) => x;\n");
        const options = { namespace: "bench", image: "registry.example/sluice:bench" };
        const subject = await medianMs(async () => {
          const objects = await renderGraph(file, options);
          return objects.map((o) => stringify(o, { lineWidth: 0 })).join("---\n");
        });
        const baseline = await medianMs(() => readGraphDocument(file));
        return { subject, baseline, ratio: subject / baseline };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  },
];
