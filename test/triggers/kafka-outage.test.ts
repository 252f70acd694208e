import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTopic, uniqueName } from "../helpers/brokers.js";
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
import { serveProcess } from "../helpers/serve-process.js";
import { type RunningKafka, startKafka } from "../infra/kafka-broker.js";

// A broker of this file's own: stopping the shared one would break every other test.
let kafka: RunningKafka;
let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "sluice-kafka-outage-"));
  kafka = await startKafka(workDir);
}, 120_000);

afterAll(async () => {
  await kafka?.service.stop(2_000);
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe.each(kafkaClientNames)("a Kafka stream through a broker outage, on %s", (client) => {
  it("loses nothing when the broker is down for 10 s mid-stream and comes back", async () => {
    const brokers = kafka.brokers;
    const [input, output] = [
      await createTopic(6, undefined, brokers),
      await createTopic(6, undefined, brokers),
    ];
    const group = uniqueName("outage");
    const server = await serveProcess(
      [await pipelineGraph("outage", { input, output, group, brokers, client })],
      {
        SLUICE_LOG_LEVEL: "warn",
      },
    );
    const stream = steadyStream(input, brokers);
    await waitUntil(async () => (await messageCount(output, brokers)) >= 2_000, "the stream flows");

    const beforeOutage = await messageCount(output, brokers);
    await kafka.stop();
    await sleep(10_000);
    await kafka.start();
    await waitUntil(
      async () => (await messageCount(output, brokers)) >= beforeOutage + 4_000,
      "the stream flows again after the outage",
      90_000,
    );
    const events = await stream.stop();
    await waitForGroupDone(group, input, brokers, 60_000);

    const result = tally(await readAll(output, brokers), events);
    console.log(`${summary("kafka outage", events, result)}; ${beforeOutage} outputs before the outage`);
    expect(result.missing.slice(0, 20)).toEqual([]);
    expect(result.distinct).toBe(events);
    expect(server.child.exitCode).toBe(null);
  }, 180_000);
});
