import { describe, expect, it } from "vitest";
import type { Gateway } from "../../src/gateway/gateway.js";
import { createTopic, uniqueName } from "../helpers/brokers.js";
import { testGateway } from "../helpers/gateway.js";
import { kafkaClientNames } from "../helpers/kafka-clients.js";
import {
  messageCount,
  pipelineGraph,
  readAll,
  steadyStream,
  summary,
  tally,
  waitForGroupDone,
  waitUntil,
} from "../helpers/kafka-streams.js";

/** Events a gateway's Kafka trigger finished, from its own metrics. */
async function finishedBy(gateway: Gateway): Promise<number> {
  const metric = await gateway.metrics.registry.getSingleMetric("sluice_stream_events_total")?.get();
  return (metric?.values ?? []).filter((v) => v.labels.outcome === "ok").reduce((sum, v) => sum + v.value, 0);
}

describe.each(kafkaClientNames)("two gateways in one consumer group, on %s", (client) => {
  it("lose no event while partitions move between them (a second joins, the first leaves)", async () => {
    const [input, output] = [await createTopic(6), await createTopic(6)];
    const group = uniqueName("rebalance");
    const graph = await pipelineGraph("rebalance", { input, output, group, client });
    const stream = steadyStream(input);

    const first = await testGateway([graph]);
    await waitUntil(async () => (await messageCount(output)) >= 1_000, "the first gateway is consuming");

    const second = await testGateway([graph]);
    await waitUntil(async () => (await finishedBy(second)) >= 500, "partitions moved to the second gateway");
    const movedAt = await messageCount(output);

    await first.close();
    await waitUntil(
      async () => (await messageCount(output)) >= movedAt + 1_000,
      "the second gateway goes on alone",
    );
    const events = await stream.stop();
    await waitForGroupDone(group, input);

    const result = tally(await readAll(output), events);
    console.log(
      `${summary("rebalance", events, result)}; first gateway finished ${await finishedBy(first)}, second ${await finishedBy(second)}`,
    );
    expect(result.missing.slice(0, 20)).toEqual([]);
    expect(result.distinct).toBe(events);
    expect(await finishedBy(first)).toBeGreaterThan(0);
  }, 90_000);
});
