import { describe, expect, it } from "vitest";
import { createTopic, kafkaBrokers, uniqueName } from "../helpers/brokers.js";
import { testGateway } from "../helpers/gateway.js";
import { clientLine, kafkaClientNames } from "../helpers/kafka-clients.js";
import { groupLag, waitUntil } from "../helpers/kafka-streams.js";
import { collect, graphFile, produce } from "../helpers/streams.js";
import { alterTopic, listedTriggers, metricValue, readiness } from "../helpers/trigger-health.js";

function scorer(
  name: string,
  input: string,
  output: string,
  group: string,
  client: string,
  extra = "",
): Promise<string> {
  return graphFile(`apiVersion: sluice/v1
kind: Graph
metadata: {name: ${name}}
spec:
  steps:
    score: {handler: ./steps.mjs#score}
  triggers:
    - kind: kafka
      brokers: [${kafkaBrokers().join(", ")}]
      topics: [${input}]
      group: ${group}
      fromBeginning: true
      output: {topic: ${output}}
${clientLine(client)}
${extra}`);
}

describe.each(kafkaClientNames)("readiness of a gateway with Kafka triggers on %s", (client) => {
  it("is 503, with the trigger shown crashed and down, while its consumer crashes; it restarts and catches up once the cause is gone", {
    timeout: 150_000,
  }, async () => {
    const [input, output] = [await createTopic(1), await createTopic(1)];
    // A compacted topic refuses records without a key, for good (INVALID_RECORD): the write
    // fails whatever the retries, as a topic set up wrong would.
    await alterTopic(output, { "cleanup.policy": "compact" });
    await produce(
      input,
      Array.from({ length: 20 }, (_, i) => ({ value: { i } })),
    );
    const group = uniqueName("group");
    const gateway = await testGateway([await scorer("crashy", input, output, group, client)]);
    const trigger = `kafka:${input}`;

    await waitUntil(async () => (await readiness(gateway.url)) === 503, "the gateway is unready", 30_000);
    const [listed] = await listedTriggers(gateway.adminUrl, "crashy");
    expect(listed).toMatchObject({ name: trigger, kind: "kafka", condition: "crashed" });
    expect(listed?.reason).toMatch(/crashed/);
    expect(Date.parse(listed?.since ?? "")).toBeGreaterThan(Date.now() - 60_000);
    expect(
      await metricValue(gateway.adminUrl, `sluice_trigger_up{graph="crashy",trigger="${trigger}"}`),
    ).toBe(0);

    await alterTopic(output, { "cleanup.policy": "delete" });
    // Restarted with backoff (kafkajs would leave it dead): everything gets through.
    const outputs = await collect(output, 20, 90_000);
    expect(new Set(outputs.map((o) => (JSON.parse(o.value) as { i: number }).i)).size).toBe(20);
    await waitUntil(async () => (await groupLag(group, input)) === 0, "every offset is committed", 30_000);
    await waitUntil(async () => (await readiness(gateway.url)) === 200, "the gateway is ready again", 30_000);
    expect((await listedTriggers(gateway.adminUrl, "crashy"))[0]?.condition).toBe("running");
    expect(
      await metricValue(gateway.adminUrl, `sluice_trigger_up{graph="crashy",trigger="${trigger}"}`),
    ).toBe(1);
  });

  it("is 503 while a partition has waited on a failing event longer than stalledAfter, and commits the events before it meanwhile", {
    timeout: 150_000,
  }, async () => {
    const [input, output] = [await createTopic(1), await createTopic(1)];
    await produce(
      input,
      Array.from({ length: 8 }, (_, i) => ({ key: `k${i}`, value: i === 5 ? { i, poison: true } : { i } })),
    );
    const group = uniqueName("group");
    // No DLQ: the poison event is retried for ever and its partition waits.
    const gateway = await testGateway([
      await scorer(
        "stuck",
        input,
        output,
        group,
        client,
        "      stalledAfter: 2s\n      commit: {everyMs: 300}\n",
      ),
    ]);
    expect(await readiness(gateway.url)).toBe(200);
    await collect(output, 5);
    // What finished before the waiting event is committed by the policy, not held back.
    await waitUntil(async () => (await groupLag(group, input)) === 3, "offsets 0-4 are committed", 15_000);
    await waitUntil(async () => (await readiness(gateway.url)) === 503, "the gateway is unready", 15_000);
    const [listed] = await listedTriggers(gateway.adminUrl, "stuck");
    expect(listed?.condition).toBe("stalled");
    expect(listed?.reason).toMatch(new RegExp(`${input}/0 has made no progress .*offset 5`));
  });
});
