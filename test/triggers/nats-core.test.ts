import { headers as natsHeaders } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { natsConnection, natsUrl, uniqueName } from "../helpers/brokers.js";
import { testGateway } from "../helpers/gateway.js";
import { duplicatesOf, listen, natsGraphFile } from "../helpers/nats-streams.js";

/** A graph on a core NATS subject whose step stamps each event with `by`. */
function coreGraph(subject: string, queue: string, output: string, by: string): Promise<string> {
  return natsGraphFile(`apiVersion: sluice/v1
kind: Graph
metadata: {name: core-${by}}
spec:
  steps:
    stamp: {class: ./nats-steps.mjs#Stamp, args: {by: ${by}}}
  triggers:
    - {kind: nats, url: "${natsUrl()}", subject: ${subject}, queue: ${queue}, output: {subject: ${output}}}
`);
}

describe("the core NATS trigger", () => {
  it("shares a subject between two gateways of one queue group: each event handled once, outputs on the output subject", async () => {
    const [subject, output, queue] = [uniqueName("in"), uniqueName("out"), uniqueName("group")];
    await testGateway([await coreGraph(subject, queue, output, "a")]);
    await testGateway([await coreGraph(subject, queue, output, "b")]);
    const nc = await natsConnection();
    const outputs = listen<{ i: number; by: string; marker?: number }>(nc, output);
    await outputs.ready();

    const count = 2_000;
    for (let i = 0; i < count; i++) nc.publish(subject, JSON.stringify({ i }));
    await nc.flush();
    await outputs.until(count);
    // A marker from each gateway after the events: each answers its messages in order, so any
    // duplicate of an event would have come before its marker.
    for (
      let n = 0;
      !(["a", "b"] as const).every((by) => outputs.got.some((o) => o.marker && o.by === by));
      n++
    ) {
      nc.publish(subject, JSON.stringify({ i: -1, marker: n + 1 }));
      await nc.flush();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const got = outputs.got.filter((o) => !o.marker);

    expect(got).toHaveLength(count);
    expect(duplicatesOf(got.map((o) => String(o.i)))).toEqual([]);
    expect(got.map((o) => o.i).sort((x, y) => x - y)).toEqual(Array.from({ length: count }, (_, i) => i));
    const byA = got.filter((o) => o.by === "a").length;
    expect(byA).toBeGreaterThan(0);
    expect(count - byA).toBeGreaterThan(0);
  });

  it("answers a request with the graph's response", async () => {
    const [subject, output] = [uniqueName("in"), uniqueName("out")];
    await testGateway([await coreGraph(subject, uniqueName("group"), output, "a")]);
    const nc = await natsConnection();
    const reply = await nc.request(subject, JSON.stringify({ i: 7 }), { timeout: 5_000 });
    expect(reply.json()).toEqual({ i: 7, by: "a" });
  });

  it("answers a requester with {error} when the event fails, and goes on", async () => {
    const [subject, output] = [uniqueName("in"), uniqueName("out")];
    await testGateway([await coreGraph(subject, uniqueName("group"), output, "a")]);
    const nc = await natsConnection();
    const failed = await nc.request(subject, JSON.stringify({ i: 3, fail: true }), { timeout: 5_000 });
    expect(failed.json()).toEqual({ error: expect.stringContaining("cannot score 3") });
    const ok = await nc.request(subject, JSON.stringify({ i: 4 }), { timeout: 5_000 });
    expect(ok.json()).toEqual({ i: 4, by: "a" });
  });

  it("hands a non-JSON payload to the graph as its own bytes, intact while later messages arrive", async () => {
    const subject = uniqueName("in");
    await testGateway([
      await natsGraphFile(`apiVersion: sluice/v1
kind: Graph
metadata: {name: bytes}
spec:
  steps:
    echo: {handler: ./nats-steps.mjs#echoLater}
  triggers:
    - {kind: nats, url: "${natsUrl()}", subject: ${subject}}
`),
    ]);
    const nc = await natsConnection();
    const headers = natsHeaders();
    headers.set("content-type", "application/octet-stream");
    const payloads = Array.from({ length: 50 }, (_, i) => Buffer.alloc(64, i));

    const replies = await Promise.all(
      payloads.map((data) => nc.request(subject, data, { timeout: 5_000, headers })),
    );

    expect(replies.map((r) => Buffer.from(r.data))).toEqual(payloads);
  });
});
