import pino from "pino";
import { KafkaBed } from "../../bench/lib/streams-kafka.js";
import { ModelCallRecord, RecordFormat } from "../../src/graph/monitoring/record.js";
import { MonitoringStreams } from "../../src/triggers/index.js";

const facts0 = {
  graph: "g",
  step: "echo",
  key: "echo",
  model: "echo",
  version: undefined,
  className: "EchoModel",
  labels: undefined,
  fields: new Set(["inputs", "outputs"] as const),
  samplingPercentage: 100,
};
const request = {
  id: "bench-1",
  inputs: [{ name: "features", shape: [1, 4], datatype: "FP32", data: [5.1, 3.5, 1.4, 0.2] }],
};
const response = {
  model_name: "echo",
  id: "bench-1",
  outputs: [{ name: "features", shape: [1, 4], datatype: "FP32", data: [5.1, 3.5, 1.4, 0.2] }],
};
const facts = new RecordFormat(facts0 as never);
const rec = (i: number) => new ModelCallRecord(facts, `req-${i}`, request, Date.now(), 12, { response }, 1);

// 1. serialisation only
let t = process.cpuUsage();
let bytes = 0;
for (let i = 0; i < 200_000; i++) bytes += Buffer.from(rec(i).serialize()).length;
let c = process.cpuUsage(t);
console.log(`serialise: ${((c.user + c.system) / 200_000).toFixed(2)} µs/record, ${bytes / 200_000} bytes`);

const bed = await KafkaBed.start();
const topic = await bed.topic("cost", 4);
const counts = { written: 0, dropped: 0, failed: 0 };
const meter = (k: keyof typeof counts) => ({
  inc: (n = 1) => {
    counts[k] += n;
  },
});
const streams = new MonitoringStreams(pino({ level: "warn" }), () => ({
  written: meter("written"),
  dropped: meter("dropped"),
  failed: meter("failed"),
  buffered: { set: () => {} },
}));
const sink = streams.sinkFor(
  {
    stream: `kafka://${bed.brokers.join(",")}/${topic}`,
    buffer: 100_000,
    recordsPerMessage: Number(process.env.PACK ?? 1),
  },
  { spec: {} } as never,
)!;
{
  const t0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, 2000));
  const c0 = process.cpuUsage(t0);
  console.log(`idle with the bed: ${((c0.user + c0.system) / 2000).toFixed(1)} µs per ms`);
  const t1 = process.cpuUsage();
  for (let s = 0; s < 400; s++) await new Promise((r) => setTimeout(r, 10));
  const c1 = process.cpuUsage(t1);
  console.log(`harness ticks alone: ${((c1.user + c1.system) / 1000).toFixed(0)} ms CPU for 400 ticks`);
}
for (const rate of [5_000, 20_000, 40_000]) {
  counts.written = 0;
  const n = rate * 4;
  t = process.cpuUsage();
  const start = performance.now();
  // offer `rate` records a second, in 100 ticks a second
  for (let s = 0; s < n; s += rate / 100) {
    for (let i = 0; i < rate / 100; i++) sink.offer(rec(i));
    await new Promise((r) => setTimeout(r, 10));
  }
  while (counts.written < n) await new Promise((r) => setTimeout(r, 5));
  c = process.cpuUsage(t);
  console.log(
    `at ${rate}/s: ${((c.user + c.system) / n).toFixed(2)} µs/record (incl. offering), ${((performance.now() - start) / 1000).toFixed(1)} s, dropped ${counts.dropped}`,
  );
}
await streams.close(Date.now() + 5000);
await bed.close();
