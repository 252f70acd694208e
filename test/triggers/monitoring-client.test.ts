import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type GraphDocument, GraphInvalidError, loadGraphText } from "../../src/graph/index.js";
import { type MonitoringMeters, MonitoringStreams } from "../../src/triggers/index.js";
import { graphFixtures, memoryLogger } from "../helpers/graphs.js";

const meters = (): MonitoringMeters => {
  const counter = { inc: () => {} };
  return { written: counter, dropped: counter, failed: counter, buffered: { set: () => {} } };
};
const doc = { spec: {} } as GraphDocument;

describe("the Kafka client of a monitoring stream", () => {
  it("is refused for a NATS stream, as a problem at the monitoring that chose it", async () => {
    const streams = new MonitoringStreams(memoryLogger(), meters);
    const compiling = loadGraphText(
      `apiVersion: sluice/v1
kind: Graph
metadata: {name: m}
spec:
  steps:
    score:
      kind: model
      class: ./steps.mjs#Model
      monitoring: {stream: "nats://127.0.0.1:4222/records", client: platformatic}
`,
      join(graphFixtures, "inline.yaml"),
      { logger: memoryLogger(), monitoringSink: (settings, graph) => streams.sinkFor(settings, graph) },
    );
    const error = await compiling.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphInvalidError);
    expect((error as GraphInvalidError).problems.map((p) => [p.pointer, p.message])).toEqual([
      [
        "/spec/steps/score/monitoring",
        "monitoring of nats://127.0.0.1:4222/records: client chooses a Kafka client, and this is a NATS stream",
      ],
    ]);
    await streams.close(Date.now());
  });

  it("is refused when this Node cannot run @platformatic/kafka, naming the Node it needs, and kafkajs is not", async () => {
    const streams = new MonitoringStreams(memoryLogger(), meters);
    const settings = { stream: "kafka://127.0.0.1:9092/records", client: "platformatic" as const };
    expect(() => streams.sinkFor(settings, doc, "20.18.0")).toThrow(
      "monitoring of kafka://127.0.0.1:9092/records: client: platformatic needs Node 20.19.4 or later",
    );
    expect(streams.sinkFor(settings, doc, "20.19.4")).toBeDefined();
    // kafkajs, named or not, runs on any Node sluice runs on.
    expect(streams.sinkFor({ ...settings, client: "kafkajs" }, doc, "20.18.0")).toBeDefined();
    await streams.close(Date.now());
  });

  it("gives a topic one writer per client, shared by the streams that name the same client", async () => {
    const streams = new MonitoringStreams(memoryLogger(), meters);
    const stream = "kafka://127.0.0.1:9092/records";
    const kafkajs = streams.sinkFor({ stream }, doc);
    const platformatic = streams.sinkFor({ stream, client: "platformatic" }, doc, "20.19.4");
    expect(platformatic).not.toBe(kafkajs);
    expect(streams.sinkFor({ stream, client: "kafkajs" }, doc)).toBe(kafkajs);
    expect(streams.sinkFor({ stream, client: "platformatic" }, doc, "20.19.4")).toBe(platformatic);
    await streams.close(Date.now());
  });
});
