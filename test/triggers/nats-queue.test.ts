import { jetstreamManager } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import type { GraphDocument, GraphEvent, QueueWriter } from "../../src/graph/index.js";
import { QueueWriters } from "../../src/triggers/queue/writers.js";
import { natsConnection, natsUrl, uniqueName } from "../helpers/brokers.js";
import { postJson, testGateway } from "../helpers/gateway.js";
import { memoryLogger } from "../helpers/graphs.js";
import { addStream, listen, natsGraphFile, streamCount, waitFor } from "../helpers/nats-streams.js";

interface Report {
  id: string;
  body: unknown;
  trigger: { kind: string; name: string };
  started: number;
}

describe("a queue step on NATS", () => {
  it("answers the HTTP caller from before the queue, and runs the steps after it in the queue's consumer with the same event id", async () => {
    const nc = await natsConnection();
    const [stream, subject, reported] = [uniqueName("Q"), uniqueName("queue"), uniqueName("reported")];
    await addStream(nc, stream, [subject]);
    const graphName = uniqueName("queued");
    const reports = listen<Report>(nc, reported);
    await reports.ready();
    const graph = await natsGraphFile(`apiVersion: sluice/v1
kind: Graph
metadata: {name: ${graphName}}
spec:
  steps:
    a: {handler: ./steps.mjs#score}
    q: {kind: queue, stream: "${natsUrl()}/${subject}", after: [a]}
    b: {class: ./nats-steps.mjs#Report, args: {url: "${natsUrl()}", subject: ${reported}}, full_event: true, after: [q]}
  responder: a
`);
    const gw = await testGateway([graph]);

    const response = await postJson(`${gw.url}/`, { i: 21, ms: 300 });
    expect(response).toMatchObject({ status: 200, body: { i: 21, score: 42 } });
    expect(reports.got).toEqual([]); // b takes 300 ms: the caller did not wait for it

    const [report] = await reports.until(1);
    expect(report).toMatchObject({
      id: response.headers.get("x-request-id"),
      body: { i: 21, score: 42, ms: 300 },
      trigger: { kind: "nats", name: subject },
    });
    // The event crossed through the stream, and the queue's consumer acked it once b was done.
    expect(await streamCount(nc, stream)).toBe(1);
    const jsm = await jetstreamManager(nc);
    const [consumer] = await jsm.consumers.list(stream).next();
    expect(consumer?.config.durable_name).toBe(`${graphName}-q`);
    await waitFor(
      async () => (await jsm.consumers.info(stream, consumer?.name as string)).num_ack_pending,
      (pending) => pending === 0,
      5_000,
      "the queue consumer's ack",
    );
  });
});

describe("a queue step's NATS server that cannot be reached", () => {
  it("fails the write with an error naming the server", async () => {
    const url = "nats://127.0.0.1:1"; // nothing listens on port 1
    const doc = { spec: { steps: {} } } as unknown as GraphDocument;
    const writers = new QueueWriters(memoryLogger());
    const write = writers.writerFor(`${url}/nowhere`, doc) as QueueWriter;
    const event = { id: "e1", key: undefined } as unknown as GraphEvent;
    await expect(write({ i: 1 }, event)).rejects.toThrow(`cannot connect to NATS at ${url}`);
    await writers.close();
  });
});
