import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { kafkaBrokers, kafkaClient, uniqueName } from "../helpers/brokers.js";
import { postJson } from "../helpers/gateway.js";
import { kafkaGraphFile } from "../helpers/kafka-streams.js";
import { serveProcess } from "../helpers/serve-process.js";
import { collect } from "../helpers/streams.js";

describe("a queue step marked consume: false (a deployed gateway's copy)", () => {
  it("writes every event to its topic and starts no consumer: the steps behind it run elsewhere", async () => {
    const topic = uniqueName("produce-only");
    const file = join(await mkdtemp(join(tmpdir(), "sluice-produce-only-")), "recorded.jsonl");
    const graph = await kafkaGraphFile(`apiVersion: sluice/v1
kind: Graph
metadata: {name: produce-only}
spec:
  steps:
    a: {handler: ./kafka-steps.mjs#markA}
    q: {kind: queue, stream: "kafka://${kafkaBrokers().join(",")}/${topic}", after: [a], consume: false}
    b: {class: ./kafka-steps.mjs#Recorder, args: {file: "${file}"}, after: [q], full_event: true}
  triggers:
    - kind: http
`);
    const server = await serveProcess([graph], { SLUICE_LOG_LEVEL: "warn" });
    const responses = await Promise.all(
      Array.from({ length: 5 }, (_, n) => postJson(`${server.url}/`, { n })),
    );
    for (const [n, response] of responses.entries()) {
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ n, seen: ["a"] });
    }

    // The events are on the topic, for the deployed function's trigger to read...
    const onTopic = await collect(topic, 5);
    expect(onTopic.map((m) => (JSON.parse(m.value) as { body: { n: number } }).body.n).sort()).toEqual([
      0, 1, 2, 3, 4,
    ]);
    // ...and the gateway never read them: its group never joined (a consumer joins before
    // `serving` is printed), so no step behind the queue ran.
    expect(await readFile(file, "utf8").catch(() => "")).toBe("");
    const admin = kafkaClient().admin();
    await admin.connect();
    try {
      const { groups } = await admin.describeGroups(["produce-only-q"]);
      expect(groups[0]?.members ?? []).toEqual([]);
      expect(groups[0]?.state).toBe("Dead");
    } finally {
      await admin.disconnect();
    }

    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  });
});
