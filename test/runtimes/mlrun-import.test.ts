import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  FunctionStore,
  formatDocument,
  readFunctionFile,
  readFunctionText,
  runLocally,
} from "../../src/runtimes/index.js";

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/runtimes/${name}`, import.meta.url));

describe("importing an MLRun function.yaml", () => {
  it("reads an exported job with its Kubernetes settings, and says what it dropped", async () => {
    const { fn, notes, fromMlrun } = await readFunctionFile(fixture("mlrun-job.yaml"));
    expect(fromMlrun).toBe(true);
    expect(fn.kind).toBe("job");
    expect(fn.metadata).toEqual({
      name: "churn-trainer",
      project: "churn",
      labels: { author: "data-team", framework: "sklearn", tier: "1" },
      categories: ["model-training"],
      updated: "2024-05-14T09:12:33.120487+00:00",
    });
    expect(fn.spec).toMatchObject({
      image: "mlrun/mlrun:1.6.2",
      default_handler: "train",
      env: [
        { name: "MLRUN_LOG_LEVEL", value: "info" },
        { name: "WORKERS", value: "4" },
        { name: "V3IO_ACCESS_KEY", valueFrom: { secretKeyRef: { name: "v3io-creds", key: "accessKey" } } },
      ],
      resources: {
        requests: { memory: "1Gi", cpu: "500m" },
        limits: { memory: "4Gi", cpu: 2, "nvidia.com/gpu": 1 },
      },
      volume_mounts: [
        { name: "data", mountPath: "/data" },
        { mountPath: "/User", name: "v3io" },
      ],
      node_selector: { "node.kubernetes.io/instance-type": "g4dn.xlarge" },
      tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
      priority_class_name: "igz-workload-medium",
      service_account: "mlrun-jobs",
      image_pull_secret: "registry-creds",
    });
    expect(Object.keys(fn.spec)).not.toContain("preemption_mode");
    expect((fn.spec.build?.functionSourceCode ?? "").length).toBeGreaterThan(100);
    expect(fn.status).toMatchObject({ state: "ready" });
    expect(notes).toEqual([
      expect.stringMatching(/^dropped spec\.entry_points \(MLRun's parameter docs of the handlers\): /),
      expect.stringMatching(/^dropped spec\.state_thresholds \(MLRun's pod state thresholds\): /),
    ]);
  });

  it("reads MLRun's Nuclio function (kind remote) with its triggers out of spec.config", async () => {
    const { fn, notes } = await readFunctionFile(fixture("mlrun-nuclio.yaml"));
    expect(fn.kind).toBe("nuclio");
    expect(fn.spec).toMatchObject({
      min_replicas: 1,
      max_replicas: 4,
      nuclio_runtime: "python:3.9",
      function_handler: "enrich:handler",
      build: { base_image: "mlrun/mlrun:1.6.2", commands: ["pip install kafka-python==2.0.2"] },
      triggers: {
        http: { kind: "http", maxWorkers: 8, attributes: { port: 32100, serviceType: "NodePort" } },
        "tx-stream": {
          kind: "kafka-cluster",
          maxWorkers: 4,
          attributes: {
            brokers: ["kafka-0.kafka:9092", "kafka-1.kafka:9092"],
            topics: ["transactions"],
            consumerGroup: "enrich-stream",
          },
        },
      },
    });
    expect(notes).toContain("MLRun's kind remote is a Nuclio function: kind nuclio");
    expect(notes).toContain(
      'dropped spec.config["spec.readinessTimeoutSeconds"] (a raw Nuclio setting sluice does not apply)',
    );
  });

  it("reads a Spark job: JVM memory sizes, Spark settings as strings, dependencies", async () => {
    const { fn, notes } = await readFunctionFile(fixture("mlrun-spark.yaml"));
    expect(fn.kind).toBe("spark");
    expect(fn.spec).toMatchObject({
      replicas: 3,
      driver_resources: { requests: { cpu: 1, memory: "512m" }, limits: { cpu: "1300m" } },
      executor_resources: { requests: { memory: "2g" } },
      deps: { pyFiles: ["local:///User/etl/libs.zip"] },
      spark_conf: {
        "spark.sql.shuffle.partitions": "200",
        "spark.dynamicAllocation.shuffleTracking.enabled": "true",
      },
      dynamic_allocation: { enabled: true, minExecutors: 1, maxExecutors: 6 },
      executor_tolerations: [{ key: "spark", operator: "Equal", value: "true", effect: "NoSchedule" }],
    });
    expect(notes).toEqual(["dropped spec.executor_preemption_mode (sluice has no preemption modes): allow"]);
  });

  it("reads MLRun's dask, mpijob, remote-spark and local exports", () => {
    const common =
      "  mode: pass\n  disable_auto_mount: false\n  preemption_mode: prevent\n  affinity: null\nverbose: false\n";
    const dask = readFunctionText(
      `kind: dask\nmetadata: {name: describe-dask, tag: '', project: ''}\nspec:\n  image: mlrun/ml-dask:1.6.2\n  replicas: 2\n  min_replicas: 1\n  max_replicas: 4\n  nthreads: 2\n  remote: true\n  kfp_image: ''\n  extra_pip: ''\n  scheduler_resources: {requests: {cpu: 500m}}\n  worker_resources: {limits: {memory: 8Gi}}\n  service_type: NodePort\n${common}`,
      "dask.yaml",
    );
    expect(dask.fn.spec).toEqual({
      image: "mlrun/ml-dask:1.6.2",
      replicas: 2,
      min_replicas: 1,
      max_replicas: 4,
      nthreads: 2,
      remote: true,
      scheduler_resources: { requests: { cpu: "500m" } },
      worker_resources: { limits: { memory: "8Gi" } },
      service_type: "NodePort",
    });
    const mpi = readFunctionText(
      `kind: mpijob\nmetadata: {name: horovod}\nspec:\n  image: mlrun/ml-models-gpu:1.6.2\n  command: /User/train.py\n  replicas: 4\n  mpi_args: [-x, NCCL_DEBUG=INFO]\n  resources: {limits: {nvidia.com/gpu: 1}}\n${common}`,
      "mpi.yaml",
    );
    expect(mpi.fn.spec).toMatchObject({ replicas: 4, mpi_args: ["-x", "NCCL_DEBUG=INFO"] });
    const remote = readFunctionText(
      `kind: remote-spark\nmetadata: {name: report}\nspec:\n  image: .remote-spark-default-image\n  provider: iguazio\n  env: [{name: MLRUN_SPARK_CLIENT_IGZ_SPARK, value: 'true'}]\n${common}`,
      "remote.yaml",
    );
    expect(remote.fn.spec).toMatchObject({ provider: "iguazio" });
    const local = readFunctionText(
      `kind: local\nmetadata: {name: prep}\nspec:\n  command: prep.py\n  args: [--rows, '100']\n  workdir: ''\n${common}`,
      "local.yaml",
    );
    expect(local.fn.spec).toEqual({ command: "prep.py", args: ["--rows", "100"] });
  });

  it("gives an imported function a stable hash: exported again and re-read, it is the same", async () => {
    for (const name of ["mlrun-job.yaml", "mlrun-nuclio.yaml", "mlrun-spark.yaml"]) {
      const { fn } = await readFunctionFile(fixture(name));
      const again = readFunctionText(formatDocument(fn.toDocument()), "again.yaml").fn;
      expect(again.hash, name).toBe(fn.hash);
      expect(readFunctionText(formatDocument(fn.toDocument(), "json"), "again.json").fn.hash, name).toBe(
        fn.hash,
      );
    }
  });

  it("stores an imported function like any other", async () => {
    const store = FunctionStore.open(":memory:");
    try {
      const { fn } = await readFunctionFile(fixture("mlrun-job.yaml"));
      const put = store.put(fn);
      expect(store.get("churn/churn-trainer").fn.hash).toBe(put.hash);
    } finally {
      store.close();
    }
  });

  it("refuses, with a reason, to call the Python handler of an imported job locally", async () => {
    const { fn, base } = await readFunctionFile(fixture("mlrun-job.yaml"));
    const record = await runLocally(fn, { origin: base, cacheDir: tmpdir() });
    expect(record.state).toBe("error");
    expect(record.error).toBe(
      "churn-trainer calls the Python handler train: sluice runs Python files as scripts, not their handlers",
    );
  });

  it("names what does not map: another kind, or a field neither MLRun nor sluice knows", async () => {
    const text = await readFile(fixture("mlrun-job.yaml"), "utf8");
    expect(() => readFunctionText(text.replace("kind: job", "kind: databricks"), "f.yaml")).toThrow(
      /^f\.yaml:4: \/kind: must be one of: handler, local, job/,
    );
    expect(() => readFunctionText(text.replace("  replicas: 1", "  replica: 1"), "f.yaml")).toThrow(
      /\/spec\/replica: unknown field "replica"; did you mean "replicas"\?/,
    );
  });
});
