import { describe, expect, it } from "vitest";
import type { GraphDocument } from "../../src/graph/index.js";
import { type MonitoringMeters, MonitoringStreams } from "../../src/triggers/index.js";
import { createTopic, kafkaBrokers } from "../helpers/brokers.js";
import { postJson, testGateway } from "../helpers/gateway.js";
import { memoryLogger } from "../helpers/graphs.js";
import { readAll, waitUntil } from "../helpers/kafka-streams.js";
import { infer, metricsText, metricValue, monitoredGraph } from "../helpers/monitoring.js";
import { collect } from "../helpers/streams.js";

/** `kafka://<test bed brokers>/<topic>`. */
function kafkaUrl(topic: string): string {
  return `kafka://${kafkaBrokers().join(",")}/${topic}`;
}

type Record_ = Record<string, unknown> & {
  id: string;
  request: Record<string, unknown>;
  resp?: Record<string, unknown>;
};

function records(messages: { value: string }[]): Record_[] {
  return messages.map((m) => JSON.parse(m.value) as Record_);
}

/** A gateway with `model` recorded at `sample` and a `marker` model recorded always, to one topic. */
async function sampledBesideMarker(topic: string, model: string, sample: number) {
  return testGateway([
    await monitoredGraph(`apiVersion: sluice/v1
kind: Graph
metadata: {name: sampled}
spec:
  topology: router
  router:
    routes:
      ${model}: {kind: model, class: MODELS#SlowScale, monitoring: {stream: ${kafkaUrl(topic)}, sample: ${sample}}}
      marker: {kind: model, class: MODELS#Scale, monitoring: {stream: ${kafkaUrl(topic)}}}
`),
  ]);
}

/** Calls the marker model, waits for its record, and returns every record the topic holds by then. */
async function recordsToMarker(url: string, topic: string): Promise<Record_[]> {
  expect((await infer(url, "marker", "marker")).status).toBe(200);
  await waitUntil(
    async () => (await readAll(topic)).some((m) => m.value.includes('"id":"marker"')),
    "the marker's record arrives",
  );
  return records(await readAll(topic));
}

describe("model monitoring records on Kafka", () => {
  it("writes one record per request with the ids, model, times, latency, inputs, outputs and errors", async () => {
    const topic = await createTopic(1);
    const gateway = await testGateway([
      await monitoredGraph(`apiVersion: sluice/v1
kind: Graph
metadata: {name: scored, labels: {team: risk}}
spec:
  monitoring: {stream: ${kafkaUrl(topic)}}
  steps:
    scale: {kind: model, class: MODELS#Scale, args: {factor: 3}}
`),
    ]);
    expect((await infer(gateway.url, "scale", "req-1", [1, 2])).status).toBe(200);
    expect((await infer(gateway.url, "scale", "req-2", [5])).status).toBe(200);
    expect((await infer(gateway.url, "scale", "req-3", [-1])).status).toBe(422);

    const [ok, second, failed] = records(await collect(topic, 3)) as [Record_, Record_, Record_];
    expect(ok).toMatchObject({
      id: "req-1",
      graph: "scored",
      step: "scale",
      model: "scale",
      version: null,
      class: "Scale",
      function_uri: "scored",
      op: "infer",
      sampling_percentage: 100,
      effective_sample_count: 1,
      labels: { team: "risk" },
      request: { id: "oip-req-1", inputs: [{ name: "x", shape: [1, 2], datatype: "FP32", data: [1, 2] }] },
      resp: {
        model_name: "scale",
        id: "oip-req-1",
        outputs: [{ name: "scaled", shape: [1, 2], datatype: "FP32", data: [3, 6] }],
      },
    });
    expect(ok.when).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/);
    expect(ok.microsec).toBeTypeOf("number");
    expect(ok.request).not.toHaveProperty("parameters");
    expect(second).toMatchObject({ id: "req-2", resp: { outputs: [{ data: [15] }] } });
    expect(failed).toMatchObject({
      id: "req-3",
      status: 422,
      error: "the input holds -1, which this model refuses",
      request: { inputs: [{ data: [-1] }] },
    });
    expect(failed).not.toHaveProperty("resp");
    await waitUntil(
      async () =>
        metricValue(await metricsText(gateway.adminUrl), "sluice_monitoring_records_total", {
          stream: kafkaUrl(topic),
          outcome: "written",
        }) === 3,
      "the metrics count 3 records written",
    );
  });

  it("records the request as the client sent it and the answer as the data plane sent it", async () => {
    const topic = await createTopic(1);
    const gateway = await testGateway([
      await monitoredGraph(`apiVersion: sluice/v1
kind: Graph
metadata: {name: as-sent}
spec:
  monitoring: {stream: ${kafkaUrl(topic)}}
  steps:
    scale: {kind: model, class: MODELS#Scale, args: {factor: 2}}
`),
    ]);
    // No id, data nested by rows (OIP's JSON allows both): the record keeps the body as it came.
    const body =
      '{"inputs": [{"name": "x", "shape": [2, 2], "datatype": "FP32", "data": [[1, 2], [3, 4]]}], "outputs": [{"name": "scaled"}]}';
    const answer = await postJson(`${gateway.url}/v2/models/scale/infer`, body, {
      "x-request-id": "as-sent",
    });
    expect(answer.status).toBe(200);
    // Pretty-printed, it is serialised again (a record is one line).
    const pretty = JSON.stringify(
      { id: "oip-2", inputs: [{ name: "x", shape: [1], datatype: "FP32", data: [5] }] },
      null,
      2,
    );
    expect(
      (await postJson(`${gateway.url}/v2/models/scale/infer`, pretty, { "x-request-id": "pretty" })).status,
    ).toBe(200);

    const [sent, reformatted] = records(await collect(topic, 2)) as [Record_, Record_];
    expect(sent.request).toEqual({
      id: "as-sent",
      inputs: [
        {
          name: "x",
          shape: [2, 2],
          datatype: "FP32",
          data: [
            [1, 2],
            [3, 4],
          ],
        },
      ],
      outputs: [{ name: "scaled" }],
    });
    expect(sent.resp).toEqual(answer.body);
    expect(reformatted.request).toEqual({
      id: "oip-2",
      inputs: [{ name: "x", shape: [1], datatype: "FP32", data: [5] }],
    });
    expect(reformatted.resp).toMatchObject({ id: "oip-2", outputs: [{ data: [10] }] });
  });

  it("records only what fields asks for: shapes and parameters, without the tensors' data", async () => {
    const topic = await createTopic(1);
    const gateway = await testGateway([
      await monitoredGraph(`apiVersion: sluice/v1
kind: Graph
metadata: {name: shaped}
spec:
  topology: router
  router:
    routes:
      "scale:v2":
        kind: model
        class: MODELS#SlowScale
        monitoring: {stream: ${kafkaUrl(topic)}, fields: [shapes, parameters]}
`),
    ]);
    expect((await infer(gateway.url, "scale", "req-1", [1, 2, 3])).status).toBe(200);
    const [record] = records(await collect(topic, 1)) as [Record_];
    expect(record).toMatchObject({
      id: "req-1",
      model: "scale",
      version: "v2",
      step: "shaped/scale:v2",
      class: "SlowScale",
      request: {
        id: "oip-req-1",
        parameters: { note: "req-1" },
        inputs: [{ name: "x", datatype: "FP32", shape: [1, 3] }],
      },
      resp: {
        model_version: "v2",
        outputs: [{ name: "scaled", datatype: "FP32", shape: [1, 3] }],
      },
    });
    expect((record.request.inputs as object[])[0]).not.toHaveProperty("data");
    const outputs = record.resp?.outputs as object[];
    expect(outputs[0]).not.toHaveProperty("data");
  });

  it("writes nothing for a model sampled at 0 (the record of a sampled model behind it is the only one)", async () => {
    const topic = await createTopic(1);
    const gateway = await sampledBesideMarker(topic, "quiet", 0);
    for (let i = 0; i < 20; i++) expect((await infer(gateway.url, "quiet", `quiet-${i}`)).status).toBe(200);
    // One writer and one partition keep the order: a record of "quiet" would come before the marker.
    expect((await recordsToMarker(gateway.url, topic)).map((r) => r.id)).toEqual(["marker"]);
  });

  it("records exactly one request in four at sample 0.25, each standing for the four", async () => {
    const topic = await createTopic(1);
    const gateway = await sampledBesideMarker(topic, "quarter", 0.25);
    for (let i = 0; i < 40; i++) expect((await infer(gateway.url, "quarter", `q-${i}`)).status).toBe(200);
    const quarter = (await recordsToMarker(gateway.url, topic)).filter((r) => r.model === "quarter");
    expect(quarter.map((r) => r.id)).toEqual(Array.from({ length: 10 }, (_, k) => `q-${4 * k}`));
    expect(quarter.map((r) => r.effective_sample_count)).toEqual([1, ...Array(9).fill(4)]);
    expect(quarter.every((r) => r.sampling_percentage === 25)).toBe(true);
  });

  it("flushes the records still buffered when the gateway shuts down", async () => {
    const topic = await createTopic(1);
    const gateway = await testGateway([
      await monitoredGraph(`apiVersion: sluice/v1
kind: Graph
metadata: {name: drained}
spec:
  monitoring: {stream: ${kafkaUrl(topic)}}
  steps:
    scale: {kind: model, class: MODELS#Scale}
`),
    ]);
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => infer(gateway.url, "scale", `d-${i}`)),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    await gateway.close();
    const ids = new Set(records(await readAll(topic)).map((r) => r.id));
    expect(ids.size).toBe(200);
  });

  it("packs recordsPerMessage records a message, one a line, in order", async () => {
    const topic = await createTopic(1);
    const counts = { written: 0, dropped: 0, failed: 0 };
    const counter = (outcome: keyof typeof counts) => ({
      inc: (by = 1) => {
        counts[outcome] += by;
      },
    });
    const meters: MonitoringMeters = {
      written: counter("written"),
      dropped: counter("dropped"),
      failed: counter("failed"),
      buffered: { set: () => {} },
    };
    const streams = new MonitoringStreams(memoryLogger(), () => meters);
    const sink = streams.sinkFor({ stream: kafkaUrl(topic), recordsPerMessage: 3 }, {
      spec: {},
    } as GraphDocument);
    // Offered in one turn of the loop: the writer's first batch holds all seven.
    for (let i = 0; i < 7; i++) sink?.offer({ key: "m", write: (out) => out.text(JSON.stringify({ i })) });
    await waitUntil(() => counts.written === 7, "the seven records are written");
    await streams.close(Date.now() + 5_000);
    const messages = (await readAll(topic)).map((m) => m.value.split("\n"));
    expect(messages.map((lines) => lines.length)).toEqual([3, 3, 1]);
    expect(messages.flat().map((line) => (JSON.parse(line) as { i: number }).i)).toEqual([
      0, 1, 2, 3, 4, 5, 6,
    ]);
    expect(counts).toEqual({ written: 7, dropped: 0, failed: 0 });
  });
});
