import { KafkaBed } from "../lib/streams-kafka.js";

const bed = await KafkaBed.start();
const topic = await bed.topic("raw", 4);
const value = Buffer.from("x".repeat(510));
for (const [batch, keyed] of [
  [500, true],
  [500, false],
  [100, true],
  [20, true],
] as const) {
  const messages = Array.from({ length: batch }, () => (keyed ? { key: "echo", value } : { value }));
  const n = 100_000;
  const t = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < n; i += batch) await bed.producer.send({ topic, messages, acks: -1 });
  const c = process.cpuUsage(t);
  console.log(
    `kafkajs batch ${batch}${keyed ? " keyed" : ""}: ${((c.user + c.system) / n).toFixed(2)} µs/message, ${(n / ((performance.now() - start) / 1000)).toFixed(0)}/s`,
  );
}
await bed.close();
