/**
 * `npx tsx bench/monitoring-profile.ts`: where a Kafka monitoring stream's CPU goes. A bench
 * broker (bench/lib/streams-kafka.ts), one real MonitoringStream per packing (a record a
 * message, as MLRun writes them, and `recordsPerMessage: 100`), records of the bench's size
 * offered in bulk and drained with the V8 profiler on (node:inspector, 250 µs sampling): the
 * process's CPU per record, and the profile's self time split by package and function. The
 * records' JSON is made beforehand: what is left is the stream's and the Kafka client's work.
 * N (default 100,000) sets the records per packing.
 */
import { Session } from "node:inspector/promises";
import type { GraphDocument, MonitoringSink } from "../src/graph/index.js";
import { MonitoringStreams } from "../src/triggers/index.js";
import { memoryLogger } from "../test/helpers/graphs.js";
import { KafkaBed } from "./lib/streams-kafka.js";

/** A record as the bench's OIP echo model gives it (about 480 bytes). */
const record = JSON.stringify({
  graph: "oip-echo",
  step: "echo",
  model: "echo",
  version: null,
  class: "EchoModel",
  function_uri: "oip-echo",
  host: "bench",
  worker: 1,
  op: "infer",
  id: "abc-123",
  when: "2026-12-05 10:31:02.417000+00:00",
  microsec: 8,
  request: { id: "r", inputs: [{ name: "x", shape: [1, 4], datatype: "FP32", data: [5.1, 3.5, 1.4, 0.2] }] },
  resp: {
    id: "r",
    model_name: "echo",
    outputs: [{ name: "x", shape: [1, 4], datatype: "FP32", data: [5.1, 3.5, 1.4, 0.2] }],
  },
  sampling_percentage: 100,
  effective_sample_count: 1,
});
const n = Number(process.env.N ?? 100_000);

/** Offers `count` records and resolves once the broker acknowledged them all. */
async function drain(sink: MonitoringSink, written: () => number, count: number) {
  const from = written();
  for (let i = 0; i < count; i++) sink.offer({ key: `m${i % 4}`, write: (out) => out.text(record) });
  while (written() < from + count) await new Promise((resolve) => setTimeout(resolve, 5));
}

type Profile = {
  profile: {
    nodes: { id: number; callFrame: { functionName: string; url: string } }[];
    samples?: number[];
    timeDeltas?: number[];
  };
};

/** Self time per key (idle left out), as a share of the profile's busy samples. */
function shares(
  { profile }: Profile,
  keyOf: (frame: { functionName: string; url: string }) => string,
): [string, number][] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const self = new Map<string, number>();
  (profile.samples ?? []).forEach((id, i) => {
    const frame = byId.get(id);
    if (!frame || frame.functionName === "(idle)") return;
    const key = keyOf(frame);
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas?.[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  return [...self].map(([k, us]) => [k, us / total] as [string, number]).sort((a, b) => b[1] - a[1]);
}

const packageOf = ({ functionName, url }: { functionName: string; url: string }) =>
  url.includes("kafkajs")
    ? "kafkajs"
    : url.includes("/src/")
      ? "sluice"
      : functionName.startsWith("(")
        ? functionName
        : "node and V8 built-ins";

const bed = await KafkaBed.start();
try {
  for (const perMessage of [1, 100]) {
    const topic = await bed.topic("profile", 4);
    let written = 0;
    const meters = {
      written: {
        inc: (by = 1) => {
          written += by;
        },
      },
      dropped: { inc: () => {} },
      failed: { inc: () => {} },
      buffered: { set: () => {} },
    };
    const streams = new MonitoringStreams(memoryLogger(), () => meters);
    const stream = `kafka://${bed.brokers.join(",")}/${topic}`;
    const sink = streams.sinkFor({ stream, buffer: n * 2, recordsPerMessage: perMessage }, {
      spec: {},
    } as GraphDocument);
    if (!sink) throw new Error(`${stream} names no broker`);
    await drain(sink, () => written, 5_000); // connected, and warm
    const session = new Session();
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 250 });
    await session.post("Profiler.start");
    const cpu = process.cpuUsage();
    await drain(sink, () => written, n);
    const used = process.cpuUsage(cpu);
    const profile: Profile = await session.post("Profiler.stop");
    session.disconnect();
    const perRecord = (used.user + used.system) / n;
    console.log(`recordsPerMessage ${perMessage}: ${perRecord.toFixed(2)} µs of CPU a record (${n} records)`);
    for (const [key, share] of shares(profile, packageOf)) {
      console.log(`  ${key.padEnd(24)} ${(share * perRecord).toFixed(2)} µs (${(share * 100).toFixed(0)}%)`);
    }
    const fn = (f: { functionName: string; url: string }) =>
      `${f.functionName || "(anonymous)"} ${f.url.split("/").slice(-3).join("/")}`;
    for (const [key, share] of shares(profile, fn).slice(0, 10)) {
      console.log(`    ${(share * perRecord).toFixed(2)} µs  ${key}`);
    }
    await streams.close(Date.now() + 5_000);
  }
} finally {
  await bed.close();
}
