import { describe, expect, it } from "vitest";
import { createTopic, kafkaBrokers, uniqueName } from "../helpers/brokers.js";
import {
  messageCount,
  pipelineGraph,
  produceRange,
  readAll,
  summary,
  tally,
  waitForGroupDone,
  waitUntil,
} from "../helpers/kafka-streams.js";
import { serveProcess } from "../helpers/serve-process.js";

describe("sluice serve on a Kafka stream", () => {
  it("loses no event when killed with SIGKILL midway and restarted (some come out twice)", async () => {
    const events = 100_000;
    const [input, output] = [await createTopic(6), await createTopic(6)];
    const group = uniqueName("crash");
    const graph = await pipelineGraph("crash", { input, output, group });
    await produceRange(input, 0, events);

    const first = await serveProcess([graph], { SLUICE_LOG_LEVEL: "warn" });
    await waitUntil(
      async () => (await messageCount(output)) >= events * 0.35,
      "35% of the outputs exist",
      90_000,
      50,
    );
    first.child.kill("SIGKILL");
    expect(await first.exited).toBe("SIGKILL");
    const atKill = await messageCount(output);
    expect(atKill).toBeLessThan(events);

    const second = await serveProcess([graph], { SLUICE_LOG_LEVEL: "warn" });
    await waitForGroupDone(group, input, kafkaBrokers(), 120_000);
    const result = tally(await readAll(output), events);
    console.log(`${summary("crash test", events, result)}; killed after ${atKill} outputs`);
    expect(result.missing.slice(0, 20)).toEqual([]);
    expect(result.distinct).toBe(events);

    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  }, 240_000);
});
