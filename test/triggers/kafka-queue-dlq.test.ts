import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { kafkaBrokers, kafkaClient, uniqueName } from "../helpers/brokers.js";
import { postJson, testGateway } from "../helpers/gateway.js";
import type { memoryLogger } from "../helpers/graphs.js";
import { kafkaGraphFile, produceRaw, waitUntil } from "../helpers/kafka-streams.js";
import { collect } from "../helpers/streams.js";

async function recordedIds(file: string): Promise<string[]> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { id: string }).id);
}

async function partitionsOf(topic: string): Promise<number> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0]?.partitions.length ?? 0;
  } finally {
    await admin.disconnect();
  }
}

function queued(topic: string, file: string, queueOptions: string): Promise<string> {
  return kafkaGraphFile(`apiVersion: sluice/v1
kind: Graph
metadata: {name: queued}
spec:
  steps:
    a: {handler: ./kafka-steps.mjs#markA}
    q: {kind: queue, stream: "kafka://${kafkaBrokers().join(",")}/${topic}", after: [a]${queueOptions}}
    b: {handler: ./kafka-steps.mjs#markB, after: [q]}
    c: {class: ./kafka-steps.mjs#Recorder, args: {file: "${file}"}, after: [b], full_event: true}
  triggers:
    - kind: http
`);
}

describe("a queue step on Kafka with a dlq", () => {
  it("dead-letters a message on its topic that is not a sluice envelope at once, and the events behind it go on", {
    timeout: 120_000,
  }, async () => {
    const [topic, dlq] = [uniqueName("queue"), uniqueName("queue-dlq")];
    const file = join(await mkdtemp(join(tmpdir(), "sluice-queue-")), "recorded.jsonl");
    const gateway = await testGateway([
      await queued(topic, file, `, partitions: 3, dlq: {topic: ${dlq}, maxAttempts: 2}`),
    ]);
    expect(await partitionsOf(topic)).toBe(3);
    // Someone else's message on the queue's topic, in every partition.
    await produceRaw(
      topic,
      ["x", "y", "z", "w"].map((key) => ({ key, value: "not an envelope" })),
    );
    const ids = Array.from({ length: 20 }, (_, n) => `req-${n}-${uniqueName("id")}`);
    for (const [n, id] of ids.entries()) {
      expect((await postJson(`${gateway.url}/`, { n }, { "x-request-id": id })).status).toBe(200);
    }

    await waitUntil(
      async () => (await recordedIds(file)).length >= ids.length,
      "c ran for every event",
      30_000,
    );
    expect((await recordedIds(file)).sort()).toEqual([...ids].sort());
    const letters = await collect(dlq, 4);
    for (const letter of letters) {
      expect(letter.value).toBe("not an envelope");
      expect(letter.headers).toMatchObject({
        "x-sluice-error-code": "BAD_INPUT",
        "x-sluice-attempts": "1",
        "x-sluice-source-topic": topic,
      });
    }
  });

  it("creates its topic with several partitions by default, and a restart that finds the topic logs no error", {
    timeout: 120_000,
  }, async () => {
    const topic = uniqueName("queue");
    const file = join(await mkdtemp(join(tmpdir(), "sluice-queue-")), "recorded.jsonl");
    const graph = await queued(topic, file, "");
    const first = await testGateway([graph]);
    expect(await partitionsOf(topic)).toBe(4);
    await first.close();

    const second = await testGateway([graph]);
    expect((await postJson(`${second.url}/`, { n: 1 })).status).toBe(200);
    await waitUntil(async () => (await recordedIds(file)).length >= 1, "c ran", 30_000);
    const lines = (second.logger as ReturnType<typeof memoryLogger>).lines;
    expect(lines.filter((l) => l.level === "error")).toEqual([]);
  });
});
