import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTopic } from "../helpers/brokers.js";
import { testGateway } from "../helpers/gateway.js";
import { kafkaClientNames } from "../helpers/kafka-clients.js";
import { readAll, waitUntil } from "../helpers/kafka-streams.js";
import { infer, metricsText, metricValue, monitoredGraph } from "../helpers/monitoring.js";
import { type RunningKafka, startKafka } from "../infra/kafka-broker.js";

// A broker of this file's own: stopping the shared one would break every other test.
let kafka: RunningKafka;
let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "sluice-monitoring-outage-"));
  kafka = await startKafka(workDir);
}, 120_000);

afterAll(async () => {
  await kafka?.service.stop(2_000);
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe.each(kafkaClientNames)("a model monitoring stream on %s whose broker goes away", (client) => {
  it("keeps answering 200 while records fill the bounded buffer and the rest are dropped and counted; writes again once the broker is back", async () => {
    const brokers = kafka.brokers;
    const topic = await createTopic(1, undefined, brokers);
    const stream = `kafka://${brokers.join(",")}/${topic}`;
    const gateway = await testGateway([
      await monitoredGraph(`apiVersion: sluice/v1
kind: Graph
metadata: {name: outage}
spec:
  monitoring: {stream: ${stream}, buffer: 50, client: ${client}}
  steps:
    scale: {kind: model, class: MODELS#Scale}
`),
    ]);
    const count = async (outcome: string) =>
      metricValue(await metricsText(gateway.adminUrl), "sluice_monitoring_records_total", {
        stream,
        outcome,
      });
    const buffered = async () =>
      metricValue(await metricsText(gateway.adminUrl), "sluice_monitoring_buffered_records", { stream });

    for (let i = 0; i < 5; i++) expect((await infer(gateway.url, "scale", `before-${i}`)).status).toBe(200);
    await waitUntil(async () => (await count("written")) === 5, "the first records are written");

    await kafka.stop();
    // Every request is answered while the broker is down: none waits for it.
    for (let i = 0; i < 200; i++) expect((await infer(gateway.url, "scale", `during-${i}`)).status).toBe(200);
    expect(await buffered()).toBe(50);
    expect(await count("dropped")).toBe(150);
    expect(await count("written")).toBe(5);

    await kafka.start();
    await waitUntil(async () => (await count("written")) === 55, "the buffered records are written", 90_000);
    for (let i = 0; i < 5; i++) expect((await infer(gateway.url, "scale", `after-${i}`)).status).toBe(200);
    await waitUntil(async () => (await count("written")) === 60, "new records are written again");
    expect(await buffered()).toBe(0);
    expect(await count("failed")).toBe(0);

    // At least once: a batch whose acknowledgement was lost may be written twice, never lost.
    const ids = new Set(
      (await readAll(topic, brokers)).map((m) => (JSON.parse(m.value) as { id: string }).id),
    );
    const expected = [
      ...Array.from({ length: 5 }, (_, i) => `before-${i}`),
      ...Array.from({ length: 50 }, (_, i) => `during-${i}`),
      ...Array.from({ length: 5 }, (_, i) => `after-${i}`),
    ];
    expect([...ids].sort()).toEqual(expected.sort());
  }, 180_000);
});
