import { describe, expect, it, onTestFinished } from "vitest";
import type { GraphDocument, MonitoringRecord } from "../../src/graph/index.js";
import {
  defaultMonitoringBuffer,
  type MonitoringMeters,
  MonitoringStream,
  MonitoringStreams,
} from "../../src/triggers/monitoring/index.js";
import type { TransportMaker } from "../../src/triggers/monitoring/monitoring-streams.js";
import { memoryLogger } from "../helpers/graphs.js";

// Which writer a model's monitoring stream gets: one per place records land, shared by every
// model and graph that writes there. No record is sent here (nothing listens at these brokers).

const doc = (triggers: unknown[] = []) => ({ spec: { steps: {}, triggers } }) as unknown as GraphDocument;
const record: MonitoringRecord = { key: "m", write: (out) => out.text("{}") };

function streams(transport?: TransportMaker) {
  const named: string[] = [];
  const dropped = { n: 0 };
  const meters = (stream: string): MonitoringMeters => {
    named.push(stream);
    return {
      written: { inc: () => {} },
      dropped: {
        inc: () => {
          dropped.n++;
        },
      },
      failed: { inc: () => {} },
      buffered: { set: () => {} },
    };
  };
  const all = new MonitoringStreams(memoryLogger(), meters, transport);
  // Nothing is sent: the brokers named here are not there.
  onTestFinished(() => all.close(Date.now()));
  return { all, named, dropped };
}

describe("a gateway's monitoring streams", () => {
  it("give no sink for a stream URL that names no broker", () => {
    const { all } = streams();
    expect(all.sinkFor({ stream: "memory://audit" }, doc())).toBeUndefined();
    expect(all.sinkFor({ stream: "kafka://audit" }, doc())).toBeUndefined();
  });

  it("share one writer among models writing to the same place, metered by the URL first given", () => {
    const { all, named } = streams();
    const a = all.sinkFor({ stream: "kafka://k1:9092/audit" }, doc());
    const b = all.sinkFor({ stream: "kafka://k1:9092/audit", buffer: 20 }, doc());
    const nats = all.sinkFor({ stream: "nats://n1:4222/audit" }, doc());
    const natsAgain = all.sinkFor({ stream: "nats://n1:4222/audit" }, doc());
    expect(a).toBeInstanceOf(MonitoringStream);
    expect(b).toBe(a);
    expect(natsAgain).toBe(nats);
    expect(nats).not.toBe(a);
    expect((a as MonitoringStream).name).toBe("kafka://k1:9092/audit");
    expect(named).toEqual(["kafka://k1:9092/audit", "nats://n1:4222/audit"]);
  });

  it("give places that differ in topic, subject, server, cluster, identity or TLS writers of their own", () => {
    const { all } = streams();
    const kafka = (over: Record<string, unknown>) =>
      doc([{ kind: "kafka", brokers: ["k1:9092"], topics: ["t"], ...over }]);
    const sinks = [
      all.sinkFor({ stream: "kafka://audit" }, kafka({})),
      all.sinkFor({ stream: "kafka://other" }, kafka({})),
      all.sinkFor({ stream: "kafka://audit" }, kafka({ brokers: ["k2:9092"] })),
      all.sinkFor({ stream: "kafka://audit" }, kafka({ ssl: true })),
      all.sinkFor(
        { stream: "kafka://audit" },
        kafka({ sasl: { mechanism: "plain", username: "a", password: "p" } }),
      ),
      all.sinkFor(
        { stream: "kafka://audit" },
        kafka({ sasl: { mechanism: "plain", username: "b", password: "p" } }),
      ),
      all.sinkFor(
        { stream: "kafka://audit" },
        kafka({ sasl: { mechanism: "scram-sha-256", username: "b", password: "p" } }),
      ),
      all.sinkFor({ stream: "nats://n1:4222/audit" }, doc()),
      all.sinkFor({ stream: "nats://n1:4222/other" }, doc()),
      all.sinkFor({ stream: "nats://n2:4222/audit" }, doc()),
    ];
    expect(new Set(sinks).size).toBe(sinks.length);
    expect(all.sinkFor({ stream: "kafka://audit" }, kafka({ ssl: false }))).toBe(sinks[0]);
  });

  it("hold 10,000 records per stream unless told, and the largest buffer any model asks for", () => {
    expect(defaultMonitoringBuffer).toBe(10_000);
    const { all, dropped } = streams();
    const sink = all.sinkFor({ stream: "kafka://k1:9092/audit" }, doc()) as MonitoringStream;
    for (let i = 0; i < 10_001; i++) sink.offer(record);
    expect(dropped.n).toBe(1);
    const small = streams();
    const limited = small.all.sinkFor({ stream: "kafka://k1:9092/a", buffer: 2 }, doc()) as MonitoringStream;
    small.all.sinkFor({ stream: "kafka://k1:9092/a", buffer: 3 }, doc());
    for (let i = 0; i < 4; i++) limited.offer(record);
    expect(limited.buffered).toBe(3);
    expect(small.dropped.n).toBe(1);
  });

  it("close every stream by the deadline, taking no more records", async () => {
    const { all, dropped } = streams();
    const a = all.sinkFor({ stream: "kafka://k1:9092/a" }, doc()) as MonitoringStream;
    const b = all.sinkFor({ stream: "nats://n1:4222/b" }, doc()) as MonitoringStream;
    await all.close(Date.now());
    expect([a.state, b.state]).toEqual(["closed", "closed"]);
    a.offer(record);
    expect(dropped.n).toBe(1);
  });

  it("write each stream through a transport to its place and client, as many records to a message as the graph asks, one unless told", async () => {
    const made: string[] = [];
    const sent: string[][] = [];
    const { all } = streams(async (target, _logger, client) => {
      made.push(`${target.kind === "kafka" ? target.topic : target.subject} ${client}`);
      return {
        maxRecordBytes: 1_000_000,
        send: async (messages) => {
          sent.push(messages.map((m) => m.value.toString()));
        },
        close: async () => {},
      };
    });
    const packed = all.sinkFor({ stream: "kafka://k1:9092/packed", recordsPerMessage: 3 }, doc());
    const plain = all.sinkFor({ stream: "nats://n1:4222/plain" }, doc());
    for (let i = 0; i < 3; i++) {
      packed?.offer({ key: "m", write: (out) => out.text(`{"i":${i}}`) });
      plain?.offer({ key: "m", write: (out) => out.text(`{"i":${i}}`) });
    }
    await all.close(Date.now() + 10_000);
    expect(made.sort()).toEqual(["packed kafkajs", "plain kafkajs"]);
    expect(sent).toContainEqual(['{"i":0}\n{"i":1}\n{"i":2}']);
    expect(sent).toContainEqual(['{"i":0}', '{"i":1}', '{"i":2}']);
    expect(sent).toHaveLength(2);
  });
});
