import { mkdtempSync, readFileSync } from "node:fs";
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { parse } from "yaml";
import {
  Cluster,
  type ClusterObject,
  waitForObject,
  watchObjects,
} from "../../src/runtimes/cluster/index.js";
import { adminCluster, freshNamespace, hasCondition, restrictedCluster } from "../helpers/kubernetes.js";
import { ensureK8sBinaries } from "./k8s/binaries.js";
import { writeKubeconfig } from "./k8s/kubeconfig.js";
import { startService, TestBedError, waitUntilReady } from "./process.js";

const pod = (command: string[]) => ({
  containers: [{ name: "main", image: "busybox:1.36", command }],
  restartPolicy: "Never",
});

function job(name: string, namespace: string, fail = false): ClusterObject {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace },
    spec: {
      backoffLimit: 0,
      template: {
        // kwok fails a pod whose template carries this label, with the exit code annotated.
        metadata: fail
          ? {
              labels: { "pod-container-running-failed.stage.kwok.x-k8s.io": "true" },
              annotations: { "pod-container-running-failed.stage.kwok.x-k8s.io/exit-code": "3" },
            }
          : {},
        spec: pod(["true"]),
      },
    },
  };
}

describe("the Kubernetes test bed", () => {
  it("makes a server-side-applied Deployment Available on its fake node", async () => {
    const namespace = await freshNamespace();
    const cluster = adminCluster();
    const applied = await cluster.apply({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: { containers: [{ name: "web", image: "nginx:1.27" }] },
        },
      },
    });
    const managers = (
      (applied as ClusterObject).metadata.managedFields as {
        manager: string;
        operation: string;
      }[]
    ).map((f) => `${f.manager}/${f.operation}`);
    expect(managers).toContain("sluice/Apply");
    const { object, timedOut } = await waitForObject(
      cluster,
      { apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace },
      (d) => hasCondition(d, "Available") && (d.status as { readyReplicas?: number }).readyReplicas === 2,
      { timeoutMs: 30_000 },
    );
    expect(timedOut).toBe(false);
    expect(object?.status).toMatchObject({ availableReplicas: 2 });
  });

  it("runs a Job to Complete, and a Job whose pod fails to Failed", async () => {
    const namespace = await freshNamespace();
    const cluster = adminCluster();
    await cluster.apply(job("ok", namespace));
    await cluster.apply(job("bad", namespace, true));
    const finished = (j: ClusterObject) => hasCondition(j, "Complete") || hasCondition(j, "Failed");
    const [ok, bad] = await Promise.all(
      ["ok", "bad"].map((name) =>
        waitForObject(cluster, { apiVersion: "batch/v1", kind: "Job", name, namespace }, finished, {
          timeoutMs: 30_000,
        }),
      ),
    );
    expect(hasCondition(ok?.object, "Complete")).toBe(true);
    expect(hasCondition(bad?.object, "Failed")).toBe(true);
    const pods = await cluster.list("v1", "Pod", { namespace, labelSelector: "job-name=bad" });
    const terminated = (
      pods.items[0]?.status as { containerStatuses?: { state: { terminated?: { exitCode: number } } }[] }
    )?.containerStatuses?.[0]?.state.terminated;
    expect(terminated?.exitCode).toBe(3);
  });

  it("accepts a NuclioFunction and lets a controller write its status (no status subresource)", async () => {
    const namespace = await freshNamespace();
    const cluster = adminCluster();
    const ref = { apiVersion: "nuclio.io/v1beta1", kind: "NuclioFunction", name: "fraud-score", namespace };
    await cluster.apply({
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      metadata: { name: ref.name, namespace, labels: { "nuclio.io/project-name": "default" } },
      spec: {
        runtime: "nodejs",
        handler: "entry.cjs:handler",
        image: "sluice/nuclio:dev",
        triggers: { http: { kind: "http", numWorkers: 2 } },
      },
    });
    await cluster.mergePatch(ref, { status: { state: "ready", httpPort: 8080 } });
    const read = await cluster.get(ref);
    expect(read?.status).toEqual({ state: "ready", httpPort: 8080 });
    expect(read?.spec).toMatchObject({ triggers: { http: { kind: "http", numWorkers: 2 } } });
    expect((read?.spec as { triggers?: unknown } | undefined)?.triggers).toEqual({
      http: { kind: "http", numWorkers: 2 },
    });
  });

  it("accepts well-formed DaskJob, MPIJob and SparkApplication objects", async () => {
    const namespace = await freshNamespace();
    const cluster = adminCluster();
    const container = { name: "main", image: "python:3.11", command: ["python", "run.py"] };
    const objects: ClusterObject[] = [
      {
        apiVersion: "kubernetes.dask.org/v1",
        kind: "DaskJob",
        metadata: { name: "dask-run", namespace },
        spec: {
          job: { spec: { containers: [{ ...container, name: "job" }], restartPolicy: "Never" } },
          cluster: {
            spec: {
              worker: {
                replicas: 2,
                spec: { containers: [{ ...container, name: "worker", args: ["dask-worker"] }] },
              },
              scheduler: {
                spec: { containers: [{ ...container, name: "scheduler", args: ["dask-scheduler"] }] },
                service: {
                  type: "ClusterIP",
                  selector: { "dask.org/component": "scheduler" },
                  ports: [{ name: "tcp-comm", protocol: "TCP", port: 8786, targetPort: "tcp-comm" }],
                },
              },
            },
          },
        },
      },
      {
        apiVersion: "kubeflow.org/v2beta1",
        kind: "MPIJob",
        metadata: { name: "mpi-run", namespace },
        spec: {
          slotsPerWorker: 1,
          runPolicy: { cleanPodPolicy: "Running" },
          mpiReplicaSpecs: {
            Launcher: {
              replicas: 1,
              template: { spec: { containers: [{ ...container, command: ["mpirun", "python", "run.py"] }] } },
            },
            Worker: { replicas: 2, template: { spec: { containers: [container] } } },
          },
        },
      },
      {
        apiVersion: "sparkoperator.k8s.io/v1beta2",
        kind: "SparkApplication",
        metadata: { name: "spark-run", namespace },
        spec: {
          type: "Python",
          mode: "cluster",
          image: "spark:3.5.3",
          mainApplicationFile: "local:///opt/spark/examples/src/main/python/pi.py",
          sparkVersion: "3.5.3",
          driver: { cores: 1, memory: "512m" },
          executor: { instances: 2, cores: 1, memory: "512m" },
        },
      },
    ];
    for (const object of objects) {
      const created = await cluster.apply(object);
      expect(created.metadata.uid).toBeTruthy();
    }
  });

  it("refuses a malformed SparkApplication, naming the field", async () => {
    const namespace = await freshNamespace();
    const bad = {
      apiVersion: "sparkoperator.k8s.io/v1beta2",
      kind: "SparkApplication",
      metadata: { name: "broken", namespace },
      spec: { type: "Haskell", mode: "cluster", sparkVersion: "3.5.3", driver: {}, executor: {} },
    };
    await expect(adminCluster().apply(bad)).rejects.toMatchObject({
      code: "SLUICE_ERR_CLUSTER_INVALID",
      message: expect.stringMatching(
        /apply SparkApplication .*\/broken: the API server refused it: spec\.type: Unsupported value: "Haskell"/,
      ),
    });
  });

  it("says a kind the server does not serve may need its CRD", async () => {
    const namespace = await freshNamespace();
    const widget = { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w", namespace } };
    await expect(adminCluster().apply(widget)).rejects.toMatchObject({
      code: "SLUICE_ERR_CLUSTER_NOT_FOUND",
      message: `cannot apply Widget ${namespace}/w: the API server does not serve Widget (example.com/v1)`,
      hint: "is the kind's CRD installed? deploy/crds/ has the ones sluice renders for",
    });
  });

  it("watches a Job's status changes and resumes after the connection is cut", async () => {
    const namespace = await freshNamespace();
    const admin = adminCluster();
    // The watch goes through a TCP proxy of the test's own, so the test can cut its connection.
    const sockets = new Set<Socket>();
    const target = new URL(admin.server);
    const proxy = createServer((client) => {
      const upstream = connect(Number(target.port), target.hostname);
      client.pipe(upstream).pipe(client);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
        s.on("error", () => s.destroy());
      }
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const adminConfig = parse(readFileSync(inject("kubeAdminConfig"), "utf8"));
    const proxied = writeKubeconfig(
      `${inject("kubeAdminConfig")}.${namespace}.proxied`,
      `https://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      adminConfig.clusters[0].cluster["certificate-authority"],
      "admin",
      adminConfig.users[0].user.token,
    );
    const seen: string[] = [];
    const watcher = watchObjects(
      Cluster.connect({ kubeconfig: proxied }),
      { apiVersion: "batch/v1", kind: "Job", namespace },
      (type, object) => {
        const done = hasCondition(object, "Complete") ? "Complete" : "running";
        seen.push(`${type} ${object.metadata.name} ${done}`);
      },
    );
    try {
      await admin.apply({
        ...job("first", namespace),
        spec: { ...(job("first", namespace).spec as object), suspend: true },
      });
      await expect.poll(() => seen.join(","), { timeout: 10_000 }).toContain("ADDED first running");
      // A change seen as MODIFIED proves the watch connection itself is up (ADDED came from the list).
      const ref = { apiVersion: "batch/v1", kind: "Job", name: "first", namespace };
      await admin.mergePatch(ref, { metadata: { labels: { step: "seen" } } });
      await expect.poll(() => seen.join(","), { timeout: 10_000 }).toContain("MODIFIED first running");
      expect(sockets.size).toBeGreaterThan(0);
      for (const socket of sockets) socket.destroy();
      // The change happens while the watch is cut; the resumed watch must still deliver it.
      await admin.mergePatch(
        { apiVersion: "batch/v1", kind: "Job", name: "first", namespace },
        { spec: { suspend: false } },
      );
      await expect.poll(() => seen.join(","), { timeout: 30_000 }).toContain("MODIFIED first Complete");
      expect(watcher.reconnects).toBeGreaterThanOrEqual(1);
    } finally {
      watcher.stop();
      await watcher.closed;
      proxy.close();
    }
  });

  it("denies the restricted control-plane identity a ClusterRole change, in one clear line", async () => {
    const restricted = restrictedCluster();
    const change = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "sluice-control-plane" },
      rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }],
    };
    const error = await restricted.apply(change).then(
      () => undefined,
      (e: Error & { code: string }) => e,
    );
    expect(error?.code).toBe("SLUICE_ERR_CLUSTER_FORBIDDEN");
    expect(error?.message).toMatch(
      /^cannot apply ClusterRole sluice-control-plane: .*"system:serviceaccount:sluice-system:sluice-control-plane" cannot patch resource "clusterroles"/,
    );
    expect(error?.message).not.toContain("\n");
  });

  it("lets the restricted identity do what the control plane needs", async () => {
    const namespace = await freshNamespace();
    const restricted = restrictedCluster();
    await restricted.apply(job("allowed", namespace));
    const listed = await restricted.list("batch/v1", "Job", { namespace });
    expect(listed.items.map((j) => j.metadata.name)).toEqual(["allowed"]);
    // A graph's objects are pruned and deleted; a run's Job is kept (sluice never deletes one).
    await restricted.apply({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "code", namespace } });
    expect(await restricted.delete({ apiVersion: "v1", kind: "ConfigMap", name: "code", namespace })).toBe(
      true,
    );
    await expect(
      restricted.delete({ apiVersion: "batch/v1", kind: "Job", name: "allowed", namespace }),
    ).rejects.toMatchObject({ code: "SLUICE_ERR_CLUSTER_FORBIDDEN" });
    await expect(
      restricted.apply({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "s", namespace },
        stringData: { a: "b" },
      }),
    ).rejects.toMatchObject({ code: "SLUICE_ERR_CLUSTER_FORBIDDEN" });
  });
});

describe("a part of the Kubernetes test bed that cannot start", () => {
  it("fails the run naming the part, its command line and its last log lines", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-bed-fail-"));
    const { kubeApiserver } = ensureK8sBinaries(() => {});
    const service = startService(
      "kube-apiserver",
      kubeApiserver,
      ["--no-such-flag"],
      join(dir, "apiserver.log"),
    );
    const failure = await waitUntilReady(service, async () => false, 30_000).then(
      () => undefined,
      (error: Error) => error,
    );
    expect(failure).toBeInstanceOf(TestBedError);
    expect(failure?.message).toMatch(
      /^test bed: kube-apiserver could not start: it exited \(exit code 1\); command: \S+kube-apiserver --no-such-flag\n/,
    );
    expect(failure?.message).toContain("unknown flag: --no-such-flag");
  });
});
