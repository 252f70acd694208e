import { describe, expect, it } from "vitest";
import { natsUrl, uniqueName } from "../helpers/brokers.js";
import { testGateway } from "../helpers/gateway.js";
import { waitUntil } from "../helpers/kafka-streams.js";
import { infer, metricsText, metricValue, monitoredGraph } from "../helpers/monitoring.js";
import {
  addStream,
  listen,
  natsClient,
  ownNatsServer,
  readStream,
  streamCount,
} from "../helpers/nats-streams.js";

function graphOn(stream: string, buffer = 10_000): Promise<string> {
  return monitoredGraph(`apiVersion: sluice/v1
kind: Graph
metadata: {name: nats-monitored}
spec:
  monitoring: {stream: "${stream}", buffer: ${buffer}}
  steps:
    scale: {kind: model, class: MODELS#Scale, args: {factor: 10}}
`);
}

describe("model monitoring records on NATS", () => {
  it("publishes each record with an ack to a subject a JetStream stream captures", async () => {
    const nc = await natsClient(natsUrl());
    const subject = uniqueName("records");
    const name = uniqueName("RECORDS");
    await addStream(nc, name, [subject]);
    const where = natsUrl().slice("nats://".length);
    const gateway = await testGateway([await graphOn(`nats://${where}/${subject}`)]);
    for (let i = 0; i < 3; i++) expect((await infer(gateway.url, "scale", `n-${i}`, [i])).status).toBe(200);
    const stored = await readStream<{ id: string; resp: { outputs: { data: number[] }[] } }>(nc, name, 3);
    expect(stored.map((m) => m.body.id)).toEqual(["n-0", "n-1", "n-2"]);
    expect(stored.map((m) => m.body.resp.outputs[0]?.data)).toEqual([[0], [10], [20]]);
  });

  it("publishes to a core subject, flushed after each batch", async () => {
    const nc = await natsClient(natsUrl());
    const subject = uniqueName("records");
    const records = listen<{ id: string; model: string }>(nc, subject);
    await records.ready();
    const gateway = await testGateway([await graphOn(`nats://${natsUrl().slice(7)}/${subject}`)]);
    expect((await infer(gateway.url, "scale", "core-1")).status).toBe(200);
    expect((await records.until(1)).map((r) => [r.id, r.model])).toEqual([["core-1", "scale"]]);
  });

  it("drops and counts what the buffer cannot hold while the server is away, then writes again", async () => {
    const server = await ownNatsServer();
    const nc = await natsClient(server.url);
    const subject = uniqueName("records");
    const name = uniqueName("RECORDS");
    await addStream(nc, name, [subject]);
    const stream = `nats://127.0.0.1:${server.port}/${subject}`;
    const gateway = await testGateway([await graphOn(stream, 20)]);
    const count = async (outcome: string) =>
      metricValue(await metricsText(gateway.adminUrl), "sluice_monitoring_records_total", {
        stream,
        outcome,
      });

    expect((await infer(gateway.url, "scale", "before")).status).toBe(200);
    await waitUntil(async () => (await count("written")) === 1, "the first record is written");
    await server.stop();
    for (let i = 0; i < 100; i++) expect((await infer(gateway.url, "scale", `during-${i}`)).status).toBe(200);
    expect(await count("dropped")).toBe(80);

    await server.restart();
    await waitUntil(async () => (await count("written")) === 21, "the buffered records are written", 60_000);
    expect((await infer(gateway.url, "scale", "after")).status).toBe(200);
    await waitUntil(async () => (await count("written")) === 22, "a new record is written");
    // At least once: a publish whose ack was lost in the outage may be stored twice.
    const ids = new Set(
      (await readStream<{ id: string }>(nc, name, await streamCount(nc, name))).map((m) => m.body.id),
    );
    expect(ids).toEqual(new Set(["before", ...Array.from({ length: 20 }, (_, i) => `during-${i}`), "after"]));
  }, 120_000);
});
