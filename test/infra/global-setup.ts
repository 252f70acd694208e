import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { type RunningKafka, startKafka } from "./kafka-broker.js";
import { type RunningNats, startNats } from "./nats-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    kafkaBrokers: string[];
    natsUrl: string;
  }
}

/**
 * Starts the real services every integration test talks to, once per `vitest run`:
 * a single-node Kafka (KRaft) broker and a nats-server with JetStream, each on free loopback
 * ports with fresh storage. A service that cannot start fails the whole run with the reason.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const workDir = await mkdtemp(join(tmpdir(), "sluice-testbed-"));
  const started = Date.now();
  const timed = async <T>(name: string, start: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const service = await start();
    console.log(`test bed: ${name} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return service;
  };
  const results = await Promise.allSettled([
    timed("kafka", () => startKafka(workDir)),
    timed("nats-server", () => startNats(workDir)),
  ]);
  const [kafkaResult, natsResult] = results as [
    PromiseSettledResult<RunningKafka>,
    PromiseSettledResult<RunningNats>,
  ];
  const kafka = kafkaResult.status === "fulfilled" ? kafkaResult.value : undefined;
  const nats = natsResult.status === "fulfilled" ? natsResult.value : undefined;

  const teardown = async () => {
    await Promise.all([kafka?.service.stop(), nats?.service.stop()]);
    if (nats) await rm(nats.storeDir, { recursive: true, force: true });
    await rm(workDir, { recursive: true, force: true });
  };

  const failures = results.flatMap((r) =>
    r.status === "rejected" ? [String(r.reason?.message ?? r.reason)] : [],
  );
  if (!kafka || !nats) {
    await Promise.all([kafka?.service.stop(), nats?.service.stop()]);
    throw new Error(`${failures.join("\n")}\n(logs kept in ${workDir})`);
  }
  console.log(
    `test bed: kafka ${kafka.brokers.join(",")} and nats ${nats.url} up in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  project.provide("kafkaBrokers", kafka.brokers);
  project.provide("natsUrl", nats.url);
  return teardown;
}
