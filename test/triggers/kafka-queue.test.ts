import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { kafkaBrokers, uniqueName } from "../helpers/brokers.js";
import { postJson } from "../helpers/gateway.js";
import { kafkaGraphFile, waitUntil } from "../helpers/kafka-streams.js";
import { serveProcess } from "../helpers/serve-process.js";

interface Recorded {
  id: string;
  trigger: { kind: string; name?: string };
  body: { n: number; seen: string[] };
  pid: number;
}

async function recorded(file: string): Promise<Recorded[]> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Recorded);
}

describe("a queue step on Kafka in sluice serve", () => {
  it("answers the HTTP caller from before the queue and runs the steps behind it from the topic, with the same event id", async () => {
    const topic = uniqueName("queue");
    const file = join(await mkdtemp(join(tmpdir(), "sluice-queue-")), "recorded.jsonl");
    // No broker in the graph: the queue step finds it in SLUICE_KAFKA_BROKERS.
    const graph = await kafkaGraphFile(`apiVersion: sluice/v1
kind: Graph
metadata: {name: queued}
spec:
  steps:
    a: {handler: ./kafka-steps.mjs#markA}
    q: {kind: queue, stream: "kafka://${topic}", after: [a]}
    b: {handler: ./kafka-steps.mjs#markB, after: [q]}
    c: {class: ./kafka-steps.mjs#Recorder, args: {file: "${file}"}, after: [b], full_event: true}
  triggers:
    - kind: http
`);
    const server = await serveProcess([graph], {
      SLUICE_KAFKA_BROKERS: kafkaBrokers().join(","),
      SLUICE_LOG_LEVEL: "warn",
    });

    const ids = Array.from({ length: 20 }, (_, n) => `req-${n}-${uniqueName("id")}`);
    const responses = await Promise.all(
      ids.map((id, n) => postJson(`${server.url}/`, { n }, { "x-request-id": id })),
    );
    for (const [n, response] of responses.entries()) {
      expect(response.status).toBe(200);
      // The caller's answer is the queue's input: a ran, b did not (yet).
      expect(response.body).toEqual({ n, seen: ["a"] });
      expect(response.headers.get("x-request-id")).toBe(ids[n]);
    }

    await waitUntil(async () => (await recorded(file)).length >= ids.length, "c ran for every event", 30_000);
    const lines = await recorded(file);
    expect(lines.map((l) => l.id).sort()).toEqual([...ids].sort());
    for (const line of lines) {
      const n = ids.indexOf(line.id);
      // b and c ran behind the queue, in the serve process's consumer of the topic.
      expect(line).toEqual({
        id: ids[n],
        trigger: { kind: "kafka", name: topic },
        body: { n, seen: ["a", "b"] },
        pid: server.child.pid,
      });
    }

    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  });
});
