import { describe, expect, it } from "vitest";
import { SluiceError } from "../../../../src/errors.js";
import { FunctionObject } from "../../../../src/runtimes/function-object.js";
import { renderBatch } from "../../../../src/runtimes/render/batch/index.js";
import { objectHash } from "../../../../src/runtimes/render/objects.js";
import type { AnyFunctionDocument } from "../../../../src/runtimes/types.js";
import { envOf, fn, get, hubCode, hubFunction, only, options, uid } from "./fixtures.js";

const container = (objects: ReturnType<typeof renderBatch>) =>
  get(only(objects, "Job"), "spec.template.spec.containers.0");
const pod = (objects: ReturnType<typeof renderBatch>) => get(only(objects, "Job"), "spec.template.spec");

function refusal(doc: AnyFunctionDocument, run = { uid, params: {} }): SluiceError {
  try {
    renderBatch(doc, run, options);
  } catch (error) {
    expect(error).toBeInstanceOf(SluiceError);
    expect((error as SluiceError).code).toBe("SLUICE_ERR_RENDER_INVALID");
    return error as SluiceError;
  }
  throw new Error("rendered without an error");
}

describe("job functions become a batch/v1 Job", () => {
  it("hub://batch-score runs its script under node from a code ConfigMap, with its image, resources and retries", () => {
    const objects = renderBatch(
      hubFunction("batch-score"),
      { uid, params: {}, code: hubCode("batch-score", "score.mjs") },
      options,
    );
    expect(objects.map((o) => o.kind)).toEqual(["ConfigMap", "Job"]);
    const [configMap, job] = objects as [(typeof objects)[0], (typeof objects)[0]];
    expect(job.metadata.name).toBe("batch-score-3f9a1c2b");
    expect(job.metadata.namespace).toBe("team-a");
    expect(get(job, "spec.backoffLimit")).toBe(2);
    expect(get(job, "spec.template.spec.restartPolicy")).toBe("Never");
    expect(get(container(objects), "image")).toBe("node:20-alpine");
    expect(get(container(objects), "command")).toEqual(["node", "/sluice/code/score.mjs"]);
    expect(get(container(objects), "resources")).toEqual({
      requests: { cpu: "250m", memory: "256Mi" },
      limits: { cpu: "1", memory: "512Mi" },
    });
    expect(envOf(container(objects)).get("SCORE_THRESHOLD")).toBe("0.5");
    expect(configMap.metadata.name).toBe("batch-score-3f9a1c2b-code");
    expect((configMap.data as Record<string, string>)["score.mjs"]).toContain("SLUICE_PARAMS");
    expect(get(pod(objects), "volumes")).toEqual([
      { name: "sluice-code", configMap: { name: "batch-score-3f9a1c2b-code", defaultMode: 0o555 } },
    ]);
    expect(get(container(objects), "volumeMounts")).toEqual([
      { name: "sluice-code", mountPath: "/sluice/code", readOnly: true },
    ]);
  });

  it("passes params as SLUICE_PARAMS JSON and one SLUICE_PARAM_<NAME> per scalar, leaving the args alone", () => {
    const doc = fn("job", "train", { image: "python:3.12", command: "train.py", args: ["--data", "/data"] });
    const params = { epochs: 3, "learning-rate": 0.01, tags: ["a", "b"], name: "iris" };
    const env = envOf(container(renderBatch(doc, { uid, params }, options)));
    expect(JSON.parse(env.get("SLUICE_PARAMS") as string)).toEqual(params);
    expect(env.get("SLUICE_PARAM_EPOCHS")).toBe("3");
    expect(env.get("SLUICE_PARAM_LEARNING_RATE")).toBe("0.01");
    expect(env.get("SLUICE_PARAM_NAME")).toBe("iris");
    expect(env.has("SLUICE_PARAM_TAGS")).toBe(false);
    expect(env.get("SLUICE_RUN_UID")).toBe(uid);
    expect(env.get("SLUICE_RESULTS_FILE")).toBe("/dev/termination-log");
    expect(get(container(renderBatch(doc, { uid, params }, options)), "args")).toEqual(["--data", "/data"]);
  });

  it("runs a script path of the image under its interpreter and a program name as is, as --local does", () => {
    const script = fn("job", "train", { image: "python:3.12", command: "train.py" });
    expect(get(container(renderBatch(script, { uid, params: {} }, options)), "command")).toEqual([
      "python3",
      "train.py",
    ]);
    const program = fn("job", "report", { image: "alpine:3", command: "echo", args: ["done"] });
    const c = container(renderBatch(program, { uid, params: {} }, options));
    expect(get(c, "command")).toEqual(["echo"]);
    expect(get(c, "args")).toEqual(["done"]);
    const entrypoint = fn("job", "etl", { image: "org/etl:2", args: ["--full"] });
    const e = container(renderBatch(entrypoint, { uid, params: {} }, options));
    expect(get(e, "command")).toBeUndefined();
    expect(get(e, "args")).toEqual(["--full"]);
  });

  it("ships code embedded in the document (functionSourceCode) without the caller reading any file", () => {
    const source = "print('hello')\n";
    const doc = fn("job", "hello", {
      image: "python:3.12",
      command: "hello.py",
      build: { functionSourceCode: Buffer.from(source).toString("base64") },
    });
    const objects = renderBatch(doc, { uid, params: {} }, options);
    expect(only(objects, "ConfigMap").data).toEqual({ "hello.py": source });
    expect(get(container(objects), "command")).toEqual(["python3", "/sluice/code/hello.py"]);
  });

  it("renders every Kubernetes attribute of the function, and a secret as a reference, never a value", () => {
    const object = FunctionObject.create("job", "nightly", { image: "org/nightly:1", command: "/app/run" })
      .setEnv("MODE", "full")
      .setEnvFromSecret("DB_PASSWORD", "db-credentials", "password")
      .withLimits("2Gi", "2", 1)
      .withRequests("1Gi", "500m")
      .mountPvc("data-claim", "/data", { readOnly: true })
      .withNodeSelection({
        nodeName: "node-7",
        nodeSelector: { disktype: "ssd" },
        tolerations: [{ key: "gpu", operator: "Exists", effect: "NoSchedule" }],
        affinity: {
          nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } },
        },
      })
      .withPriorityClass("batch-low");
    Object.assign(object.spec, {
      image_pull_policy: "Always",
      service_account: "nightly-runner",
      image_pull_secret: "registry-creds",
      security_context: { runAsNonRoot: true, runAsUser: 1000 },
      workdir: "/app",
    });
    const objects = renderBatch(
      object.validate().content() as AnyFunctionDocument,
      { uid, params: {} },
      options,
    );
    const c = container(objects);
    const p = pod(objects);
    expect(envOf(c).get("MODE")).toBe("full");
    expect(envOf(c).get("DB_PASSWORD")).toEqual({
      secretKeyRef: { name: "db-credentials", key: "password" },
    });
    expect(get(c, "resources")).toEqual({
      limits: { memory: "2Gi", cpu: "2", "nvidia.com/gpu": 1 },
      requests: { memory: "1Gi", cpu: "500m" },
    });
    expect(get(c, "imagePullPolicy")).toBe("Always");
    expect(get(c, "securityContext")).toEqual({ runAsNonRoot: true, runAsUser: 1000 });
    expect(get(c, "workingDir")).toBe("/app");
    expect(get(c, "volumeMounts")).toEqual([{ name: "pvc-data-claim", mountPath: "/data", readOnly: true }]);
    expect(get(p, "volumes")).toEqual([
      { name: "pvc-data-claim", persistentVolumeClaim: { claimName: "data-claim", readOnly: true } },
    ]);
    expect(get(p, "serviceAccountName")).toBe("nightly-runner");
    expect(get(p, "imagePullSecrets")).toEqual([{ name: "registry-creds" }]);
    expect(get(p, "nodeName")).toBe("node-7");
    expect(get(p, "nodeSelector")).toEqual({ disktype: "ssd" });
    expect(get(p, "tolerations")).toEqual([{ key: "gpu", operator: "Exists", effect: "NoSchedule" }]);
    expect(get(p, "affinity.nodeAffinity")).toBeDefined();
    expect(get(p, "priorityClassName")).toBe("batch-low");
    const dbEntry = (get(c, "env") as { name: string }[]).find((e) => e.name === "DB_PASSWORD");
    expect(dbEntry).not.toHaveProperty("value");
  });

  it("sets the run's deadline and how long the finished Job is kept", () => {
    const doc = fn("job", "train", { image: "python:3.12", command: "train.py" });
    const job = only(
      renderBatch(doc, { uid, params: {}, timeoutSeconds: 600, ttlSecondsAfterFinished: 3600 }, options),
      "Job",
    );
    expect(get(job, "spec.activeDeadlineSeconds")).toBe(600);
    expect(get(job, "spec.ttlSecondsAfterFinished")).toBe(3600);
  });

  it("labels the Job and its pods with the function, run and project, keeps the function's labels, and stamps a hash", () => {
    const doc = fn(
      "job",
      "train",
      { image: "python:3.12", command: "train.py" },
      { project: "fraud", labels: { team: "risk" } },
    );
    const job = only(renderBatch(doc, { uid, params: {} }, options), "Job");
    const expected = {
      team: "risk",
      "sluice.io/function": "train",
      "sluice.io/run": uid,
      "sluice.io/project": "fraud",
    };
    expect(job.metadata.labels).toMatchObject({ ...expected, "app.kubernetes.io/managed-by": "sluice" });
    expect(job.metadata.labels?.["sluice.io/hash"]).toBe(objectHash(job));
    expect(get(job, "spec.template.metadata.labels")).toEqual(expected);
  });

  it("names objects <function>-<uid first 8>, shortened to a DNS label, and refuses a uid that cannot name them", () => {
    const long = fn("job", `a${"-long".repeat(11)}-name-`.slice(0, 60).replace(/-$/, "x"), {
      image: "alpine:3",
      command: "true",
    });
    const name = only(renderBatch(long, { uid, params: {} }, options), "Job").metadata.name;
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?-3f9a1c2b$/);
    expect(refusal(long, { uid: "Run_1", params: {} }).message).toContain('run uid "Run_1"');
  });

  it("renders the same objects for the same function, run and options", () => {
    const doc = hubFunction("batch-score");
    const run = { uid, params: { threshold: 0.7 }, code: hubCode("batch-score", "score.mjs") };
    expect(renderBatch(doc, run, options)).toEqual(
      renderBatch(structuredClone(doc), structuredClone(run), options),
    );
    const other = renderBatch(doc, { ...run, uid: "0000aaaa1111bbbb" }, options);
    expect(only(other, "Job").metadata.name).toBe("batch-score-0000aaaa");
  });

  it("takes --image over the function's image", () => {
    const doc = fn("job", "train", { image: "python:3.12", command: "train.py" });
    const c = container(renderBatch(doc, { uid, params: {} }, { ...options, image: "org/train:7" }));
    expect(get(c, "image")).toBe("org/train:7");
  });
});

describe("what a job cannot be rendered with is refused with the field named", () => {
  const cases: [string, AnyFunctionDocument, RegExp][] = [
    ["no image", fn("job", "a", { command: "true" }), /\/spec\/image: is required/],
    [
      "build instructions without an image",
      fn("job", "a", { command: "x.py", build: { base_image: "python:3.12", requirements: ["pandas"] } }),
      /\/spec\/build: .*does not build images/,
    ],
    [
      "several replicas",
      fn("job", "a", { image: "alpine", command: "true", replicas: 3 }),
      /\/spec\/replicas: .*one pod/,
    ],
    [
      "a relative workdir",
      fn("job", "a", { image: "alpine", command: "true", workdir: "src" }),
      /\/spec\/workdir: .*absolute/,
    ],
    [
      "a handler inside the script",
      fn("job", "a", { image: "python:3.12", command: "t.py", default_handler: "train" }),
      /\/spec\/default_handler:/,
    ],
    [
      "a URL command nobody downloaded",
      fn("job", "a", { image: "node:20", command: "https://hub.example/x.mjs" }),
      /is a URL/,
    ],
    ["a TypeScript command", fn("job", "a", { image: "node:20", command: "train.ts" }), /TypeScript/],
    [
      "an env var sluice sets itself",
      fn("job", "a", { image: "alpine", command: "true", env: [{ name: "SLUICE_PARAMS", value: "{}" }] }),
      /\/spec\/env\/0\/name: SLUICE_PARAMS is set by sluice/,
    ],
  ];
  for (const [what, doc, message] of cases) {
    it(`refuses ${what}`, () => expect(refusal(doc).message).toMatch(message));
  }

  it("refuses code larger than a ConfigMap holds, pointing at an image", () => {
    const doc = fn("job", "big", { image: "node:20", command: "big.mjs" });
    const error = refusal(doc, {
      uid,
      params: {},
      code: { name: "big.mjs", content: "x".repeat(1_100_000) },
    } as never);
    expect(error.message).toContain("more than a ConfigMap holds");
    expect(error.hint).toContain("spec.image");
  });

  it("refuses the kinds that are not batch functions, saying how they run", () => {
    const handler = fn("handler", "h", { command: "h.mjs" });
    expect(refusal(handler).message).toMatch(/handler function is not a batch function; .*--local/);
    const nuclio = fn("nuclio", "n", { image: "x" });
    expect(refusal(nuclio).message).toMatch(/sluice deploy/);
    expect(refusal(fn("serving", "s", {})).message).toMatch(/sluice deploy/);
    expect(refusal(fn("local", "l", { command: "true" })).message).toMatch(/--local/);
  });
});
