import { describe, expect, it } from "vitest";
import { natsConnection, natsUrl, uniqueName } from "../helpers/brokers.js";
import { postJson, testGateway } from "../helpers/gateway.js";
import { addStream, listen, natsGraphFile, readStream, waitForCount } from "../helpers/nats-streams.js";

describe("a queue step on JetStream with a dlq", () => {
  it("dead-letters a message on its subject that is not a sluice envelope at once, and the events behind it go on", {
    timeout: 60_000,
  }, async () => {
    const nc = await natsConnection();
    const [stream, subject, dlqStream, dlq, reported] = [
      uniqueName("Q"),
      uniqueName("queue"),
      uniqueName("QDLQ"),
      uniqueName("queue-dlq"),
      uniqueName("reported"),
    ];
    await addStream(nc, stream, [subject]);
    await addStream(nc, dlqStream, [dlq]);
    const reports = listen<{ body: { i: number } }>(nc, reported);
    await reports.ready();
    // Someone else's message on the queue's subject, before any event.
    nc.publish(subject, "not an envelope");
    const gw = await testGateway([
      await natsGraphFile(`apiVersion: sluice/v1
kind: Graph
metadata: {name: ${uniqueName("queued")}}
spec:
  steps:
    a: {handler: ./steps.mjs#score}
    q: {kind: queue, stream: "${natsUrl()}/${subject}", after: [a], dlq: {subject: ${dlq}, maxAttempts: 2}}
    b: {class: ./nats-steps.mjs#Report, args: {url: "${natsUrl()}", subject: ${reported}}, full_event: true, after: [q]}
  responder: a
`),
    ]);
    for (const i of [1, 2, 3]) expect((await postJson(`${gw.url}/`, { i })).status).toBe(200);

    const got = await reports.until(3);
    expect(got.map((r) => r.body.i).sort()).toEqual([1, 2, 3]);
    await waitForCount(nc, dlqStream, 1);
    const [letter] = await readStream(nc, dlqStream, 1);
    expect(letter?.body).toBe("not an envelope");
    expect(letter?.headers).toMatchObject({
      "x-sluice-error-code": "BAD_INPUT",
      "x-sluice-attempts": "1",
      "x-sluice-source-subject": subject,
    });
  });
});
