import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { type RunningK8s, startK8s } from "./k8s/bed.js";
import { type RunningKafka, startKafka } from "./kafka-broker.js";
import { type RunningNats, startNats } from "./nats-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    kafkaBrokers: string[];
    natsUrl: string;
    /** Kubeconfig of the Kubernetes test bed's cluster admin. */
    kubeAdminConfig: string;
    /** Kubeconfig of the bed's restricted service account (deploy/rbac/control-plane.yaml). */
    kubeRestrictedConfig: string;
    /** The API server's audit log of the restricted account's requests (JSON lines). */
    kubeAuditLog: string;
    /** kubectl at the bed's version (test/infra/k8s/kubectl). */
    kubectl: string;
  }
}

/**
 * Starts the real services every integration test talks to, once per `vitest run`:
 * a single-node Kafka (KRaft) broker, a nats-server with JetStream and a Kubernetes control
 * plane (test/infra/k8s), each on free loopback ports with fresh storage. A service that
 * cannot start fails the whole run with the reason.
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
    timed("kubernetes", () => startK8s(workDir)),
  ]);
  const [kafkaResult, natsResult, k8sResult] = results as [
    PromiseSettledResult<RunningKafka>,
    PromiseSettledResult<RunningNats>,
    PromiseSettledResult<RunningK8s>,
  ];
  const kafka = kafkaResult.status === "fulfilled" ? kafkaResult.value : undefined;
  const nats = natsResult.status === "fulfilled" ? natsResult.value : undefined;
  const k8s = k8sResult.status === "fulfilled" ? k8sResult.value : undefined;

  const teardown = async () => {
    await Promise.all([kafka?.service.stop(), nats?.service.stop(), k8s?.stop()]);
    if (nats) await rm(nats.storeDir, { recursive: true, force: true });
    await rm(workDir, { recursive: true, force: true });
  };

  const failures = results.flatMap((r) =>
    r.status === "rejected" ? [String(r.reason?.message ?? r.reason)] : [],
  );
  if (!kafka || !nats || !k8s) {
    await Promise.all([kafka?.service.stop(), nats?.service.stop(), k8s?.stop()]);
    throw new Error(`${failures.join("\n")}\n(logs kept in ${workDir})`);
  }
  console.log(
    `test bed: kafka ${kafka.brokers.join(",")} and nats ${nats.url} up in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  project.provide("kafkaBrokers", kafka.brokers);
  project.provide("natsUrl", nats.url);
  project.provide("kubeAdminConfig", k8s.adminKubeconfig);
  project.provide("kubeRestrictedConfig", k8s.restrictedKubeconfig);
  project.provide("kubeAuditLog", k8s.auditLog);
  project.provide("kubectl", k8s.kubectl);
  console.log(
    `test bed: kubernetes ${k8s.server} (${Object.entries(k8s.timings)
      .map(([part, s]) => `${part} ${s.toFixed(1)} s`)
      .join(", ")})`,
  );
  return teardown;
}
