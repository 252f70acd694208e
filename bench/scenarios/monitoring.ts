/**
 * Model monitoring (docs/monitoring.md): the OIP echo model served with every request
 * recorded to a Kafka topic (`sample: 1`) against the same graph without monitoring, both
 * `sluice serve` processes loaded alike in alternating rounds (bench/lib/load.ts), on a broker
 * of the bench's own: once with a record a message (MLRun's layout), once with 100 records a
 * message (`recordsPerMessage: 100`). The records the monitored server wrote, dropped and
 * buffered are read from its metrics once the load ends. The broker runs on the same two
 * cores as the servers and the load: the CPU it spends on the records is taken from them.
 */

import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { freePort } from "../../test/infra/free-port.js";
import { serveSluice, withServer } from "../lib/child.js";
import { httpFigures, sideBySideHttp } from "../lib/load.js";
import { median } from "../lib/measure.js";
import { oneCore } from "../lib/one-core.js";
import type { Figure, Scenario } from "../lib/scenario.js";
import { KafkaBed } from "../lib/streams-kafka.js";

const path = "/v2/models/echo/infer";
const steps = fileURLToPath(new URL("../graphs/steps.mjs", import.meta.url));

function graph(monitoring: string): string {
  return `apiVersion: sluice/v1
kind: Graph
metadata: { name: oip-echo }
spec:
${monitoring}  steps:
    echo: { kind: model, class: "${steps}#EchoModel" }
`;
}

/** A series of the monitored server's Prometheus text (0 when absent). */
function series(text: string, metric: string, outcome?: string): number {
  const line = text
    .split("\n")
    .find((l) => l.startsWith(`${metric}{`) && (outcome === undefined || l.includes(`outcome="${outcome}"`)));
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
}

async function run(name: string, recordsPerMessage: number) {
  const bed = await KafkaBed.start();
  const dir = await mkdtemp(join(tmpdir(), "sluice-bench-monitoring-"));
  try {
    const topic = await bed.topic("records", 4);
    const stream = `kafka://${bed.brokers.join(",")}/${topic}`;
    const on = join(dir, "on.yaml");
    const off = join(dir, "off.yaml");
    await writeFile(
      on,
      graph(`  monitoring: { stream: "${stream}", sample: 1, recordsPerMessage: ${recordsPerMessage} }\n`),
    );
    await writeFile(off, graph(""));
    const adminPort = await freePort();
    const metrics = async () => (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
    return await withServer(serveSluice([on], ["--admin-port", String(adminPort)]), (monitored) =>
      withServer(serveSluice([off]), async (plain) => {
        const figures = httpFigures(
          name,
          await sideBySideHttp(
            { url: monitored.url + path, cpuSeconds: monitored.cpuSeconds },
            { url: plain.url + path, cpuSeconds: plain.cpuSeconds },
          ),
          { ratioAtMost: 1.3 },
        );
        // What is still buffered when the load ends is written within moments.
        for (let i = 0; i < 100 && series(await metrics(), "sluice_monitoring_buffered_records") > 0; i++) {
          await sleep(100);
        }
        const text = await metrics();
        const written = series(text, "sluice_monitoring_records_total", "written");
        const dropped = series(text, "sluice_monitoring_records_total", "dropped");
        const stored = await bed.count(topic);
        process.stderr.write(
          `  records: ${written} written, ${dropped} dropped, ${series(text, "sluice_monitoring_records_total", "failed")} failed; the topic holds ${stored}\n`,
        );
        const more: Figure[] = [
          {
            name: `${name}: records dropped, share of those offered`,
            unit: "%",
            subject: (100 * dropped) / Math.max(1, written + dropped),
            baseline: Number.NaN,
            ratio: Number.NaN,
            bar: {},
          },
          {
            name: `${name}: messages on the topic per record written`,
            unit: "",
            subject: stored / Math.max(1, written),
            baseline: Number.NaN,
            ratio: Number.NaN,
            bar: {},
          },
        ];
        return { ...figures, more: [...figures.more, ...more] };
      }),
    ).then(async (figures) => {
      // The same two graphs pinned to one core and loaded at once, with the broker moved to
      // the load's cores: what monitoring costs sluice itself, apart from the broker's CPU.
      const broker = bed.broker.service.child.pid;
      if (broker)
        execFileSync("taskset", ["-a", "-p", "-c", `0-${availableParallelism() - 2}`, String(broker)]);
      const serve = (file: string) => `node bin/sluice.js serve ${file} --port 0 --admin-port 0`;
      const r = await oneCore(serve(off), serve(on), {
        path,
        report: (line) => process.stderr.write(`  one core: ${line}\n`),
      });
      const row = (what: string, unit: string, subject: number, baseline: number, ratio: number) => ({
        name: `${name}: ${what}, both on one core at once (the broker apart)`,
        unit,
        subject,
        baseline,
        ratio,
        bar: {},
      });
      figures.more.push(
        { ...row("req/s", "req/s", r.rpsB, r.rpsA, r.rpsRatio), bar: { ratioAtLeast: 0.9 } },
        row(
          "CPU per request",
          "µs",
          median(r.rounds.map((x) => x.cpuB * 1e6)),
          median(r.rounds.map((x) => x.cpuA * 1e6)),
          r.cpuRatio,
        ),
      );
      return figures;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
    await bed.close();
  }
}

function scenario(name: string, recordsPerMessage: number): Scenario {
  return { name, unit: "req/s", bar: { ratioAtLeast: 0.9 }, run: () => run(name, recordsPerMessage) };
}

export const monitoringScenarios: Scenario[] = [
  scenario("monitoring: OIP infer, every request recorded to Kafka, vs monitoring off", 1),
  scenario("monitoring: OIP infer, every request recorded, 100 records a Kafka message, vs off", 100),
];
