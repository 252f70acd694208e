import { describe, expect, it } from "vitest";
import { FunctionInvalidError, FunctionObject, readFunctionText } from "../../src/runtimes/index.js";

const job = () => FunctionObject.create("job", "trainer", { image: "node:20", command: "./train.mjs" });

function failure(call: () => unknown): string {
  try {
    call();
  } catch (error) {
    if (error instanceof FunctionInvalidError) return error.message;
    throw error;
  }
  throw new Error("expected the call to fail");
}

describe("the fluent methods", () => {
  it("set env vars, replacing one of the same name in place", () => {
    const fn = job().setEnv("MODE", "batch").setEnvs({ EPOCHS: 3, DEBUG: false }).setEnv("MODE", "stream");
    fn.setEnvFromSecret("TOKEN", "api-creds", "token");
    expect(fn.spec.env).toEqual([
      { name: "MODE", value: "stream" },
      { name: "EPOCHS", value: "3" },
      { name: "DEBUG", value: "false" },
      { name: "TOKEN", valueFrom: { secretKeyRef: { name: "api-creds", key: "token" } } },
    ]);
  });

  it("set limits, requests and GPUs, as MLRun's with_limits / with_requests / gpus do", () => {
    const fn = job().withLimits("4Gi", "2", 1).withRequests("1Gi", "500m");
    expect(fn.spec.resources).toEqual({
      limits: { memory: "4Gi", cpu: "2", "nvidia.com/gpu": 1 },
      requests: { memory: "1Gi", cpu: "500m" },
    });
    fn.gpus(2, "amd.com/gpu");
    expect(fn.spec.resources?.limits).toMatchObject({ "amd.com/gpu": 2 });
  });

  it("refuse a bad quantity at the call, leaving the function as it was", () => {
    const fn = job().withLimits("2Gi");
    expect(failure(() => fn.withLimits("2GB"))).toBe(
      'withLimits(): /spec/resources/limits/memory: "2GB" is not a Kubernetes quantity: write 2Gi (binary) or 2G (decimal)',
    );
    expect(failure(() => fn.withRequests("4Gi"))).toBe(
      "withRequests(): /spec/resources/requests/memory: requests 4Gi of memory, more than its limit 2Gi",
    );
    expect(failure(() => fn.gpus(0.5))).toContain("counts whole devices");
    expect(fn.spec.resources).toEqual({ limits: { memory: "2Gi" } });
  });

  it("mount volumes, Secrets, ConfigMaps and claims, replacing a mount at the same path", () => {
    const fn = job()
      .mountPvc("churn.data", "/data", { readOnly: true })
      .mountSecret("api-creds", "/etc/creds")
      .mountConfigMap("settings", "/etc/settings", { items: [{ key: "app.yaml", path: "app.yaml" }] })
      .mountVolume({ name: "scratch", emptyDir: { sizeLimit: "1Gi" } }, { mountPath: "/data" });
    expect(fn.spec.volumes?.map((v) => v.name)).toEqual([
      "pvc-churn-data",
      "secret-api-creds",
      "config-settings",
      "scratch",
    ]);
    expect(fn.spec.volume_mounts).toEqual([
      { name: "secret-api-creds", mountPath: "/etc/creds" },
      { name: "config-settings", mountPath: "/etc/settings" },
      { name: "scratch", mountPath: "/data" },
    ]);
    expect(failure(() => fn.mountSecret("x", "relative/path"))).toContain("must be absolute");
  });

  it("place pods with node selection and a priority class", () => {
    const fn = job()
      .withNodeSelection({
        nodeSelector: { "node.kubernetes.io/instance-type": "g4dn.xlarge" },
        tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
      })
      .withPriorityClass("batch-low");
    expect(fn.spec.node_selector).toEqual({ "node.kubernetes.io/instance-type": "g4dn.xlarge" });
    expect(fn.spec.priority_class_name).toBe("batch-low");
    expect(() => fn.validate()).not.toThrow();
  });

  it("size a Spark driver and its executors apart, in Spark's memory notation", () => {
    const fn = FunctionObject.create("spark", "etl", { command: "local:///app/etl.py" })
      .withDriverRequests("512m", 1)
      .withExecutorLimits(undefined, "2")
      .withExecutorRequests("2g", "1");
    expect(fn.spec.driver_resources).toEqual({ requests: { memory: "512m", cpu: 1 } });
    expect(failure(() => fn.withLimits("2Gi"))).toContain("use withDriverLimits/withDriverRequests");
    expect(failure(() => fn.withDriverLimits("2Gi"))).toContain("is not a Spark memory size");
    expect(failure(() => job().withDriverLimits("1g"))).toBe(
      "withDriverLimits(): /kind: withDriverLimits() applies to spark functions only",
    );
  });

  it("refuse Kubernetes settings on kinds that run on this machine", () => {
    const fn = FunctionObject.create("handler", "stats", { command: "./stats.mjs" });
    expect(failure(() => fn.withLimits("1Gi"))).toContain("handler functions run on this machine");
    expect(failure(() => fn.mountPvc("data", "/data"))).toContain("handler functions run on this machine");
    expect(fn.setEnv("MODE", "x").spec.env).toEqual([{ name: "MODE", value: "x" }]);
  });
});

describe("a function object", () => {
  it("exports its document with its hash, and reads back to the same hash", () => {
    const fn = job().withLimits("1Gi").setEnv("A", "1");
    const doc = fn.toDocument();
    expect(doc.metadata.hash).toBe(fn.hash);
    const back = readFunctionText(JSON.stringify(doc), "fn.json").fn;
    expect(back.hash).toBe(fn.hash);
    expect(back.metadata.hash).toBeUndefined();
  });

  it("gets a new hash when a method changes it, and keeps it when a method changes nothing", () => {
    const fn = job();
    const before = fn.hash;
    fn.setEnv("A", "1");
    const after = fn.hash;
    expect(after).not.toBe(before);
    fn.setEnv("A", "1");
    expect(fn.hash).toBe(after);
    fn.metadata.tag = "v2";
    expect(fn.hash).toBe(after);
  });

  it("is checked when created", () => {
    expect(() => FunctionObject.create("job", "Bad_Name", {})).toThrow(
      /\/metadata\/name: must be a Kubernetes-style name/,
    );
    expect(() => FunctionObject.create("local", "x", {} as never)).toThrow(
      /missing required field "command"/,
    );
  });
});
