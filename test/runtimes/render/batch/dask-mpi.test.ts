import { describe, expect, it } from "vitest";
import { renderBatch } from "../../../../src/runtimes/render/batch/index.js";
import { crdErrors, crdFor } from "./crd-schema.js";
import { envOf, fn, get, only, options, uid } from "./fixtures.js";

describe("dask functions become a DaskJob", () => {
  const doc = fn(
    "dask",
    "features",
    {
      image: "ghcr.io/dask/dask:2024.8.0",
      command: "features.py",
      args: ["--month", "2024-06"],
      env: [{ name: "BUCKET", valueFrom: { secretKeyRef: { name: "s3", key: "bucket" } } }],
      replicas: 3,
      nthreads: 2,
      resources: { requests: { cpu: "500m", memory: "1Gi" } },
      scheduler_resources: { limits: { cpu: "1", memory: "2Gi" } },
      worker_resources: { requests: { cpu: "2", memory: "4Gi" }, limits: { memory: "4Gi" } },
      scheduler_timeout: "60 minutes",
      extra_pip: "s3fs",
      service_type: "NodePort",
      node_port: 30786,
      node_selector: { pool: "dask" },
    },
    { project: "analytics" },
  );
  const objects = renderBatch(doc, { uid, params: { month: "2024-06" } }, options);
  const daskJob = only(objects, "DaskJob");
  const jobPod = get(daskJob, "spec.job.spec");
  const scheduler = get(daskJob, "spec.cluster.spec.scheduler");
  const worker = get(daskJob, "spec.cluster.spec.worker");

  it("is kubernetes.dask.org/v1, accepted by the DaskJob CRD's schema", () => {
    expect(daskJob.apiVersion).toBe("kubernetes.dask.org/v1");
    expect(daskJob.metadata.name).toBe("features-3f9a1c2b");
    expect(crdErrors(crdFor("DaskJob"), daskJob)).toEqual([]);
  });

  it("runs the function in the job pod (container job) with its args, params, env and resources", () => {
    const c = get(jobPod, "containers.0");
    expect(get(c, "name")).toBe("job");
    expect(get(c, "command")).toEqual(["python3", "features.py"]);
    expect(get(c, "args")).toEqual(["--month", "2024-06"]);
    expect(get(c, "resources")).toEqual({ requests: { cpu: "500m", memory: "1Gi" } });
    const env = envOf(c);
    expect(env.get("SLUICE_PARAM_MONTH")).toBe("2024-06");
    expect(env.get("BUCKET")).toEqual({ secretKeyRef: { name: "s3", key: "bucket" } });
    expect(env.get("EXTRA_PIP_PACKAGES")).toBe("s3fs");
    expect(get(jobPod, "restartPolicy")).toBe("Never");
    expect(get(jobPod, "nodeSelector")).toEqual({ pool: "dask" });
  });

  it("starts replicas workers with nthreads and their resources, and a scheduler with its own", () => {
    expect(get(worker, "replicas")).toBe(3);
    expect(get(worker, "spec.containers.0.args")).toEqual([
      "dask-worker",
      "--name",
      "$(DASK_WORKER_NAME)",
      "--dashboard",
      "--dashboard-address",
      "8788",
      "--nthreads",
      "2",
    ]);
    expect(get(worker, "spec.containers.0.resources")).toEqual({
      requests: { cpu: "2", memory: "4Gi" },
      limits: { memory: "4Gi" },
    });
    expect(get(scheduler, "spec.containers.0.args")).toEqual([
      "dask-scheduler",
      "--idle-timeout",
      "60 minutes",
    ]);
    expect(get(scheduler, "spec.containers.0.resources")).toEqual({ limits: { cpu: "1", memory: "2Gi" } });
    expect(get(scheduler, "spec.containers.0.image")).toBe("ghcr.io/dask/dask:2024.8.0");
    expect(envOf(get(worker, "spec.containers.0")).has("SLUICE_PARAMS")).toBe(false);
  });

  it("exposes the scheduler through the Service the operator creates, selecting the cluster named after the job", () => {
    expect(get(scheduler, "service.type")).toBe("NodePort");
    expect(get(scheduler, "service.selector")).toEqual({
      "dask.org/cluster-name": "features-3f9a1c2b",
      "dask.org/component": "scheduler",
    });
    expect(get(scheduler, "service.ports.0")).toMatchObject({
      name: "tcp-comm",
      port: 8786,
      nodePort: 30786,
    });
    expect(get(scheduler, "metadata.labels")).toMatchObject({
      "sluice.io/run": uid,
      "sluice.io/project": "analytics",
    });
  });

  it("bounds the run by its job pod's deadline and keeps names short enough for the operator's suffixes", () => {
    const long = fn("dask", "d".repeat(60), { image: "dask", command: "x.py" });
    const objects = renderBatch(long, { uid, params: {}, timeoutSeconds: 900 }, options);
    expect(get(only(objects, "DaskJob"), "spec.job.spec.activeDeadlineSeconds")).toBe(900);
    expect(only(objects, "DaskJob").metadata.name).toBe(`${"d".repeat(33)}-3f9a1c2b`);
  });

  it("refuses a name starting with a digit, which the scheduler's Service could not take", () => {
    expect(() =>
      renderBatch(fn("dask", "2024-report", { image: "dask" }), { uid, params: {} }, options),
    ).toThrow(/\/metadata\/name: .*start with a letter/);
  });

  it("refuses autoscaling bounds, a local cluster and a node port without NodePort", () => {
    const base = { image: "dask", command: "x.py" };
    expect(() =>
      renderBatch(fn("dask", "d", { ...base, max_replicas: 5 }), { uid, params: {} }, options),
    ).toThrow(/\/spec\/max_replicas: .*DaskAutoscaler/);
    expect(() =>
      renderBatch(fn("dask", "d", { ...base, remote: false }), { uid, params: {} }, options),
    ).toThrow(/\/spec\/remote:/);
    expect(() =>
      renderBatch(fn("dask", "d", { ...base, node_port: 30001 }), { uid, params: {} }, options),
    ).toThrow(/\/spec\/node_port: applies to service_type NodePort/);
  });
});

describe("mpijob functions become an MPIJob v2beta1", () => {
  const doc = fn("mpijob", "allreduce", {
    image: "mpioperator/openmpi:0.6.0",
    command: "/opt/bench/allreduce",
    args: ["--size", "64M"],
    replicas: 4,
    slots_per_worker: 2,
    mpi_args: ["--bind-to", "none"],
    clean_pod_policy: "Running",
    resources: { limits: { cpu: "4", memory: "8Gi", "nvidia.com/gpu": 2 } },
    launcher_resources: { requests: { cpu: "250m", memory: "256Mi" } },
  });
  const mpiJob = only(
    renderBatch(doc, { uid, params: { iterations: 10 }, timeoutSeconds: 3600 }, options),
    "MPIJob",
  );
  const launcher = get(mpiJob, "spec.mpiReplicaSpecs.Launcher");
  const worker = get(mpiJob, "spec.mpiReplicaSpecs.Worker");

  it("is kubeflow.org/v2beta1, accepted by the MPIJob CRD's schema", () => {
    expect(mpiJob.apiVersion).toBe("kubeflow.org/v2beta1");
    expect(crdErrors(crdFor("MPIJob"), mpiJob)).toEqual([]);
  });

  it("sets slots, the clean pod policy and the run's deadline", () => {
    expect(get(mpiJob, "spec.slotsPerWorker")).toBe(2);
    expect(get(mpiJob, "spec.runPolicy")).toEqual({ cleanPodPolicy: "Running", activeDeadlineSeconds: 3600 });
  });

  it("runs exactly one launcher with mpirun over replicas × slots processes, mpi_args, and the run's env exported", () => {
    expect(get(launcher, "replicas")).toBe(1);
    const c = get(launcher, "template.spec.containers.0");
    const command = get(c, "command") as string[];
    expect(command.slice(0, 5)).toEqual(["mpirun", "-np", "8", "--bind-to", "none"]);
    expect(command.slice(-1)).toEqual(["/opt/bench/allreduce"]);
    expect(command.join(" ")).toContain("-x SLUICE_PARAMS -x SLUICE_PARAM_ITERATIONS");
    expect(get(c, "args")).toEqual(["--size", "64M"]);
    expect(get(c, "resources")).toEqual({ requests: { cpu: "250m", memory: "256Mi" } });
  });

  it("starts replicas workers with the function's resources and the image's entrypoint", () => {
    expect(get(worker, "replicas")).toBe(4);
    const c = get(worker, "template.spec.containers.0");
    expect(get(c, "command")).toBeUndefined();
    expect(get(c, "resources")).toEqual({ limits: { cpu: "4", memory: "8Gi", "nvidia.com/gpu": 2 } });
    expect(envOf(c).get("SLUICE_PARAM_ITERATIONS")).toBe("10");
  });

  it("leaves the process count to mpi_args that give one, and refuses a function with no command", () => {
    const own = fn("mpijob", "m", { image: "mpi", command: "/bin/app", mpi_args: ["-np", "3"] });
    const command = get(
      only(renderBatch(own, { uid, params: {} }, options), "MPIJob"),
      "spec.mpiReplicaSpecs.Launcher.template.spec.containers.0.command",
    ) as string[];
    expect(command.filter((a) => a === "-np")).toHaveLength(1);
    expect(command).toContain("3");
    expect(() => renderBatch(fn("mpijob", "m", { image: "mpi" }), { uid, params: {} }, options)).toThrow(
      /\/spec\/command: is required/,
    );
  });
});
