import { describe, expect, it } from "vitest";
import { renderBatch } from "../../../../src/runtimes/render/batch/index.js";
import { crdErrors, crdFor } from "./crd-schema.js";
import { envOf, fn, get, hubFunction, only, options, uid } from "./fixtures.js";

describe("spark functions become a SparkApplication v1beta2", () => {
  it("hub://spark-pi: Scala in cluster mode with its jar, main class, version, args and per-role sizing", () => {
    const app = only(renderBatch(hubFunction("spark-pi"), { uid, params: {} }, options), "SparkApplication");
    expect(app.apiVersion).toBe("sparkoperator.k8s.io/v1beta2");
    expect(app.metadata.name).toBe("spark-pi-3f9a1c2b");
    expect(get(app, "spec")).toMatchObject({
      type: "Scala",
      mode: "cluster",
      image: "apache/spark:3.5.1",
      mainApplicationFile: "local:///opt/spark/examples/jars/spark-examples_2.12-3.5.1.jar",
      mainClass: "org.apache.spark.examples.SparkPi",
      sparkVersion: "3.5.1",
      arguments: ["1000"],
      sparkConf: { "spark.eventLog.enabled": "false" },
      restartPolicy: { type: "Never" },
    });
    expect(get(app, "spec.driver")).toMatchObject({
      cores: 1,
      coreRequest: "1",
      coreLimit: "1200m",
      memory: "1g",
    });
    expect(get(app, "spec.executor")).toMatchObject({
      cores: 1,
      coreRequest: "1",
      coreLimit: "1",
      memory: "1g",
      instances: 2,
    });
    expect(crdErrors(crdFor("SparkApplication"), app)).toEqual([]);
  });

  const doc = fn(
    "spark",
    "etl",
    {
      image: "org/pyspark:3.5",
      command: "s3a://jobs/etl.py",
      job_type: "Python",
      python_version: "3",
      spark_version: "3.5.1",
      args: ["--day", "2024-06-01"],
      replicas: 3,
      deps: { pyFiles: ["s3a://jobs/lib.zip"], packages: ["org.apache.hadoop:hadoop-aws:3.3.4"] },
      spark_conf: { "spark.sql.shuffle.partitions": "64" },
      hadoop_conf: { "fs.s3a.path.style.access": "true" },
      driver_cores: 1,
      executor_cores: 2,
      driver_resources: { requests: { memory: "2g", cpu: "1" }, limits: { memory: "3g" } },
      executor_resources: { requests: { memory: "4g" }, limits: { cpu: "2", "nvidia.com/gpu": 1 } },
      env: [{ name: "AWS_ACCESS_KEY_ID", valueFrom: { secretKeyRef: { name: "aws", key: "id" } } }],
      node_selector: { pool: "spark" },
      driver_node_selector: { pool: "spark-drivers" },
      tolerations: [{ key: "spark", operator: "Exists" }],
      executor_tolerations: [{ key: "spot", operator: "Exists", effect: "NoSchedule" }],
      restart_policy: { type: "OnFailure", retries: 3, retry_interval: 10 },
      dynamic_allocation: { enabled: true, minExecutors: 1, maxExecutors: 10 },
      monitoring: { enabled: true, exporter_jar: "/prometheus/jmx_prometheus_javaagent-0.20.0.jar" },
      service_account: "spark",
      image_pull_secret: "registry",
      driver_java_options: "-XX:+UseG1GC",
    },
    { labels: { team: "data" } },
  );
  const app = only(
    renderBatch(doc, { uid, params: { day: "2024-06-01" }, ttlSecondsAfterFinished: 86400 }, options),
    "SparkApplication",
  );

  it("is accepted by the SparkApplication CRD's schema", () => {
    expect(crdErrors(crdFor("SparkApplication"), app)).toEqual([]);
  });

  it("renders conf, deps, restart policy, dynamic allocation, monitoring and TTL", () => {
    expect(get(app, "spec")).toMatchObject({
      type: "Python",
      pythonVersion: "3",
      mainApplicationFile: "s3a://jobs/etl.py",
      sparkConf: { "spark.sql.shuffle.partitions": "64" },
      hadoopConf: { "fs.s3a.path.style.access": "true" },
      deps: { pyFiles: ["s3a://jobs/lib.zip"], packages: ["org.apache.hadoop:hadoop-aws:3.3.4"] },
      restartPolicy: { type: "OnFailure", onFailureRetries: 3, onFailureRetryInterval: 10 },
      dynamicAllocation: { enabled: true, minExecutors: 1, maxExecutors: 10 },
      monitoring: {
        exposeDriverMetrics: true,
        exposeExecutorMetrics: true,
        prometheus: { jmxExporterJar: "/prometheus/jmx_prometheus_javaagent-0.20.0.jar" },
      },
      timeToLiveSeconds: 86400,
      imagePullSecrets: ["registry"],
    });
  });

  it("passes params as a last JSON argument and as env of both roles", () => {
    expect(get(app, "spec.arguments")).toEqual(["--day", "2024-06-01", '{"day":"2024-06-01"}']);
    for (const role of ["driver", "executor"]) {
      const env = envOf(get(app, `spec.${role}`));
      expect(env.get("SLUICE_PARAM_DAY")).toBe("2024-06-01");
      expect(env.get("AWS_ACCESS_KEY_ID")).toEqual({ secretKeyRef: { name: "aws", key: "id" } });
    }
  });

  it("sizes each role in JVM memory and Kubernetes CPU, with the pod limit in Mi and GPUs by name", () => {
    expect(get(app, "spec.driver")).toMatchObject({
      cores: 1,
      coreRequest: "1",
      memory: "2g",
      memoryLimit: "3072Mi",
    });
    expect(get(app, "spec.executor")).toMatchObject({
      cores: 2,
      coreLimit: "2",
      memory: "4g",
      gpu: { name: "nvidia.com/gpu", quantity: 1 },
      instances: 3,
    });
  });

  it("gives each role its node selector and tolerations (role-specific first), labels and service account", () => {
    expect(get(app, "spec.driver.nodeSelector")).toEqual({ pool: "spark-drivers" });
    expect(get(app, "spec.executor.nodeSelector")).toEqual({ pool: "spark" });
    expect(get(app, "spec.driver.tolerations")).toEqual([{ key: "spark", operator: "Exists" }]);
    expect(get(app, "spec.executor.tolerations")).toEqual([
      { key: "spot", operator: "Exists", effect: "NoSchedule" },
    ]);
    expect(get(app, "spec.driver.javaOptions")).toBe("-XX:+UseG1GC");
    expect(get(app, "spec.driver.serviceAccount")).toBe("spark");
    expect(get(app, "spec.executor.labels")).toMatchObject({ team: "data", "sluice.io/run": uid });
  });

  it("mounts shipped code and points mainApplicationFile at it with local://", () => {
    const local = fn("spark", "wc", { image: "org/pyspark:3.5", command: "wc.py", spark_version: "3.5.1" });
    const objects = renderBatch(
      local,
      { uid, params: {}, code: { name: "wc.py", content: "print(1)" } },
      options,
    );
    const shipped = only(objects, "SparkApplication");
    expect(get(shipped, "spec.mainApplicationFile")).toBe("local:///sluice/code/wc.py");
    expect(get(shipped, "spec.driver.volumeMounts")).toEqual([
      { name: "sluice-code", mountPath: "/sluice/code", readOnly: true },
    ]);
    expect(get(shipped, "spec.volumes.0.configMap.name")).toBe("wc-3f9a1c2b-code");
    expect(crdErrors(crdFor("SparkApplication"), shipped)).toEqual([]);
  });

  it("leaves an http(s) application file for Spark to download", () => {
    const remote = fn("spark", "wc", {
      image: "spark",
      command: "https://files.example/wc.py",
      spark_version: "3.5.1",
    });
    const objects = renderBatch(remote, { uid, params: {} }, options);
    expect(objects.map((o) => o.kind)).toEqual(["SparkApplication"]);
    expect(get(objects[0], "spec.mainApplicationFile")).toBe("https://files.example/wc.py");
  });

  it("refuses what a SparkApplication cannot hold, naming the field", () => {
    const base = { image: "spark", command: "app.py", spark_version: "3.5.1" };
    const run = { uid, params: {} };
    const refuse = (spec: Record<string, unknown>, r: object = run) =>
      expect(() => renderBatch(fn("spark", "s", { ...base, ...spec }), { ...run, ...r }, options));
    refuse({ spark_version: undefined }).toThrow(/\/spec\/spark_version: is required/);
    refuse({ resources: { limits: { cpu: "1" } } }).toThrow(
      /\/spec\/resources: .*driver and the executors apart/,
    );
    refuse({ node_name: "n1" }).toThrow(/\/spec\/node_name:/);
    refuse({ workdir: "/app" }).toThrow(/\/spec\/workdir:/);
    refuse({ monitoring: { enabled: true } }).toThrow(/\/spec\/monitoring\/exporter_jar: is required/);
    refuse({ restart_policy: { retry_interval: 0 } }).toThrow(/\/spec\/restart_policy\/retry_interval/);
    refuse({}, { timeoutSeconds: 60 }).toThrow(/no deadline/);
    refuse({ command: undefined }).toThrow(/\/spec\/command: is required/);
    refuse({ use_default_image: true, image: undefined }).toThrow(/no default Spark image/);
  });
});

describe("remote-spark functions become a Job running spark-submit", () => {
  const doc = fn("remote-spark", "report", {
    image: "apache/spark:3.5.1",
    command: "local:///jobs/report.jar",
    spark_master: "spark://spark-master.data:7077",
    main_class: "com.example.Report",
    deps: { jars: ["/jars/a.jar", "/jars/b.jar"], packages: ["org.postgresql:postgresql:42.7.3"] },
    spark_conf: { "spark.executor.memory": "2g", "spark.cores.max": "8" },
    args: ["--full"],
    resources: { requests: { cpu: "1", memory: "2Gi" } },
  });
  const job = only(renderBatch(doc, { uid, params: { day: "mon" } }, options), "Job");
  const c = get(job, "spec.template.spec.containers.0");

  it("submits against the function's master with class, deps, conf, app file, args and params", () => {
    expect(get(c, "command")).toEqual(["spark-submit"]);
    expect(get(c, "args")).toEqual([
      "--master",
      "spark://spark-master.data:7077",
      "--name",
      "report-3f9a1c2b",
      "--class",
      "com.example.Report",
      "--jars",
      "/jars/a.jar,/jars/b.jar",
      "--packages",
      "org.postgresql:postgresql:42.7.3",
      "--conf",
      "spark.cores.max=8",
      "--conf",
      "spark.executor.memory=2g",
      "local:///jobs/report.jar",
      "--full",
      '{"day":"mon"}',
    ]);
    expect(get(c, "resources")).toEqual({ requests: { cpu: "1", memory: "2Gi" } });
    expect(envOf(c).get("SLUICE_PARAM_DAY")).toBe("mon");
  });

  it("refuses a provider's master it cannot know", () => {
    const provider = fn("remote-spark", "r", { image: "spark", command: "a.py", provider: "iguazio" });
    expect(() => renderBatch(provider, { uid, params: {} }, options)).toThrow(
      /\/spec\/spark_master: .*iguazio/,
    );
  });
});
