import { describe, expect, it } from "vitest";
import { createTopic, kafkaBrokers, uniqueName } from "../helpers/brokers.js";
import { testGateway } from "../helpers/gateway.js";
import { clientLine, kafkaClientNames } from "../helpers/kafka-clients.js";
import { waitForGroupDone } from "../helpers/kafka-streams.js";
import { collect, graphFile, produce } from "../helpers/streams.js";
import { listedTriggers, readiness } from "../helpers/trigger-health.js";

function inflating(
  name: string,
  input: string,
  output: string,
  dlq: string,
  group: string,
  client: string,
): Promise<string> {
  return graphFile(`apiVersion: sluice/v1
kind: Graph
metadata: {name: ${name}}
spec:
  steps:
    inflate: {handler: ./steps.mjs#inflate}
  triggers:
    - kind: kafka
      brokers: [${kafkaBrokers().join(", ")}]
      topics: [${input}]
      group: ${group}
      fromBeginning: true
      output: {topic: ${output}}
      dlq: {topic: ${dlq}, maxAttempts: 2}
${clientLine(client)}
`);
}

describe.each(kafkaClientNames)("Kafka outputs and the output topic's size limit, on %s", (client) => {
  it("writes a flush of outputs larger than the topic takes in several writes, and dead-letters an event whose own output is too large", {
    timeout: 150_000,
  }, async () => {
    const [input, output, dlq] = [await createTopic(1), await createTopic(1), await createTopic(1)];
    // 600 outputs of ~4 KB are ~2.4 MB: more than one write of the topic's 1 MB default.
    const events: { key: string; value: unknown }[] = [];
    for (let i = 0; i < 600; i++) events.push({ key: `k${i}`, value: { i, bytes: 4_000 } });
    events.splice(300, 0, { key: "huge", value: { i: -1, bytes: 2_000_000 } });
    await produce(input, events);
    const group = uniqueName("group");
    const gateway = await testGateway([await inflating("limits", input, output, dlq, group, client)]);

    const outputs = await collect(output, 600, 60_000);
    expect(new Set(outputs.map((o) => (JSON.parse(o.value) as { i: number }).i)).size).toBe(600);
    const [letter] = await collect(dlq, 1);
    expect(letter?.key).toBe("huge");
    expect(letter?.headers).toMatchObject({
      "x-sluice-error-step": "output",
      "x-sluice-error-code": "OUTPUT_TOO_LARGE",
      "x-sluice-attempts": "1",
      "x-sluice-source-offset": "300",
    });
    expect(letter?.headers["x-sluice-error-message"]).toMatch(/larger than topic/);
    await waitForGroupDone(group, input);
    // The consumer never crashed: it is running and the process ready.
    expect((await listedTriggers(gateway.adminUrl, "limits")).map((t) => t.condition)).toEqual(["running"]);
    expect(await readiness(gateway.url)).toBe(200);
  });
});
