/**
 * Model monitoring (docs/monitoring.md): the OIP echo model served with every request
 * recorded (`sample: 1`) against the same graph without monitoring, both `sluice serve`
 * processes loaded alike in alternating rounds (bench/lib/load.ts), then pinned to one core
 * and loaded at once with the broker moved to the load's cores (bench/lib/one-core.ts): what
 * monitoring costs sluice itself, apart from the broker's CPU on this shared machine. Six
 * streams: a Kafka topic with a record a message (MLRun's layout) and with 100 records a
 * message (`recordsPerMessage: 100`), both on kafkajs and on `client: platformatic`, and a
 * core NATS subject with a record a message and with 100; and core NATS again with a model
 * that works about 65 µs a call instead of the trivial echo (monitoring's cost is per request,
 * so its share shrinks as the model does more). The records the monitored server wrote and
 * dropped are read from its metrics after the alternating rounds.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { freePort } from "../../test/infra/free-port.js";
import { startNats } from "../../test/infra/nats-server.js";
import { serveSluice, withServer } from "../lib/child.js";
import { httpFigures, sideBySideHttp } from "../lib/load.js";
import { median } from "../lib/measure.js";
import { oneCore } from "../lib/one-core.js";
import type { Figure, Measured, Scenario } from "../lib/scenario.js";
import { KafkaBed } from "../lib/streams-kafka.js";

const path = "/v2/models/echo/infer";
const steps = fileURLToPath(new URL("../graphs/steps.mjs", import.meta.url));

/** The served model: the trivial echo, or the echo after some work per call (bench/graphs/steps.mjs). */
type Model = "EchoModel" | "WorkModel";

function graph(monitoring: string, model: Model): string {
  return `apiVersion: sluice/v1
kind: Graph
metadata: { name: oip-echo }
spec:
${monitoring}  steps:
    echo: { kind: model, class: "${steps}#${model}" }
`;
}

/** A series of the monitored server's Prometheus text (0 when absent). */
function series(text: string, metric: string, outcome?: string): number {
  const line = text
    .split("\n")
    .find((l) => l.startsWith(`${metric}{`) && (outcome === undefined || l.includes(`outcome="${outcome}"`)));
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
}

/** A broker of the bench's own: where records go, the process to move off the servers' core, and how to stop it. */
interface Broker {
  stream: string;
  pid: number | undefined;
  close(): Promise<void>;
}

async function kafkaBroker(): Promise<Broker> {
  const bed = await KafkaBed.start();
  const topic = await bed.topic("records", 4);
  return {
    stream: `kafka://${bed.brokers.join(",")}/${topic}`,
    pid: bed.broker.service.child.pid,
    close: () => bed.close(),
  };
}

async function natsBroker(): Promise<Broker> {
  const dir = await mkdtemp(join(tmpdir(), "sluice-bench-nats-"));
  const nats = await startNats(dir);
  return {
    stream: `nats://127.0.0.1:${nats.port}/records.echo`,
    pid: nats.service.child.pid,
    close: async () => {
      await nats.service.stop();
      await rm(nats.storeDir, { recursive: true, force: true });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** How a scenario's stream is written (records a message, the Kafka client), and its model. */
interface Writing {
  recordsPerMessage: number;
  client?: "kafkajs" | "platformatic";
  model?: Model;
}

async function run(
  name: string,
  start: () => Promise<Broker>,
  { recordsPerMessage, client, model = "EchoModel" }: Writing,
) {
  const broker = await start();
  const dir = await mkdtemp(join(tmpdir(), "sluice-bench-monitoring-"));
  try {
    const on = join(dir, "on.yaml");
    const off = join(dir, "off.yaml");
    await writeFile(
      on,
      graph(
        `  monitoring: { stream: "${broker.stream}", sample: 1, recordsPerMessage: ${recordsPerMessage}${
          client ? `, client: ${client}` : ""
        } }\n`,
        model,
      ),
    );
    await writeFile(off, graph("", model));
    const adminPort = await freePort();
    const metrics = async () => (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
    const figures: Measured & { more: Figure[] } = await withServer(
      serveSluice([on], ["--admin-port", String(adminPort)]),
      (monitored) =>
        withServer(serveSluice([off]), async (plain) => {
          const alternating = httpFigures(
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
          process.stderr.write(
            `  records: ${written} written, ${dropped} dropped, ${series(text, "sluice_monitoring_records_total", "failed")} failed\n`,
          );
          alternating.more.push({
            name: `${name}: records dropped, share of those offered`,
            unit: "%",
            subject: (100 * dropped) / Math.max(1, written + dropped),
            baseline: Number.NaN,
            ratio: Number.NaN,
            bar: {},
          });
          return alternating;
        }),
    );
    // Both graphs on one core, loaded at once; the broker on the load's cores.
    if (broker.pid) {
      execFileSync("taskset", ["-a", "-p", "-c", `0-${availableParallelism() - 2}`, String(broker.pid)], {
        stdio: "ignore",
      });
    }
    const serve = (file: string) => `node bin/sluice.js serve ${file} --port 0 --admin-port 0`;
    const r = await oneCore(serve(off), serve(on), {
      path,
      report: (line) => process.stderr.write(`  one core: ${line}\n`),
    });
    const row = (what: string, unit: string, subject: number, baseline: number, ratio: number, bar = {}) => ({
      name: `${name}: ${what}, both on one core at once (the broker apart)`,
      unit,
      subject,
      baseline,
      ratio,
      bar,
    });
    figures.more.push(
      row("req/s", "req/s", r.rpsB, r.rpsA, r.rpsRatio, { ratioAtLeast: 0.9 }),
      row(
        "CPU per request",
        "µs",
        median(r.rounds.map((x) => x.cpuB * 1e6)),
        median(r.rounds.map((x) => x.cpuA * 1e6)),
        r.cpuRatio,
      ),
    );
    return figures;
  } finally {
    await rm(dir, { recursive: true, force: true });
    await broker.close();
  }
}

function scenario(
  name: string,
  start: () => Promise<Broker>,
  writing: Writing = { recordsPerMessage: 1 },
): Scenario {
  return { name, unit: "req/s", bar: { ratioAtLeast: 0.9 }, run: () => run(name, start, writing) };
}

export const monitoringScenarios: Scenario[] = [
  scenario("monitoring: OIP infer, every request recorded to Kafka, vs monitoring off", kafkaBroker),
  scenario("monitoring: OIP infer, every request recorded, 100 a Kafka message, vs off", kafkaBroker, {
    recordsPerMessage: 100,
  }),
  scenario(
    "monitoring: OIP infer, every request recorded to Kafka with client: platformatic, vs off",
    kafkaBroker,
    {
      recordsPerMessage: 1,
      client: "platformatic",
    },
  ),
  scenario(
    "monitoring: OIP infer, every request recorded, 100 a Kafka message with client: platformatic, vs off",
    kafkaBroker,
    { recordsPerMessage: 100, client: "platformatic" },
  ),
  scenario("monitoring: OIP infer, every request recorded to core NATS, vs monitoring off", natsBroker),
  scenario("monitoring: OIP infer, every request recorded, 100 a core NATS message, vs off", natsBroker, {
    recordsPerMessage: 100,
  }),
  scenario(
    "monitoring: OIP infer of a model working ~65 µs a call, every request recorded to core NATS, vs off",
    natsBroker,
    { recordsPerMessage: 1, model: "WorkModel" },
  ),
];
