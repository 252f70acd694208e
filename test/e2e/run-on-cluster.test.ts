import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, inject, it } from "vitest";
import { FunctionStore } from "../../src/runtimes/index.js";
import { sluiceWithEnv } from "../helpers/cli.js";
import { adminCluster, freshNamespace, hasCondition, unboundKubeconfig } from "../helpers/kubernetes.js";

const fixtures = fileURLToPath(new URL("../fixtures/cluster/", import.meta.url));

/** Runs the built `sluice` against the test bed, with a store of the test's own. */
const sluice = sluiceWithEnv;

function testEnv(kubeconfig = inject("kubeAdminConfig")) {
  const home = mkdtempSync(join(tmpdir(), "sluice-home-"));
  return { KUBECONFIG: kubeconfig, SLUICE_HOME: home, SLUICE_STORE: join(home, "functions.db") };
}

describe("sluice run on Kubernetes", () => {
  it("follows a job to Complete, exits 0 and records where it ran", async () => {
    const namespace = await freshNamespace();
    const env = testEnv();
    const result = await sluice(
      env,
      "run",
      join(fixtures, "train.yaml"),
      "--namespace",
      namespace,
      "--param",
      "epochs=3",
      "--wait",
    );
    expect(result.stderr).toMatch(/Job .*\/train-[0-9a-f]{8} created/);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/run [0-9a-f]{12} of train completed/);

    const store = FunctionStore.open(env.SLUICE_STORE);
    const [record] = store.runs.list({ name: "train" });
    store.close();
    expect(record).toMatchObject({ state: "completed", kind: "job", params: { epochs: 3 }, exit_code: 0 });
    expect(record?.target).toMatchObject({ namespace, apiVersion: "batch/v1", kind: "Job" });
    const job = await adminCluster().get({
      apiVersion: "batch/v1",
      kind: "Job",
      name: record?.target?.name ?? "",
      namespace,
    });
    expect(hasCondition(job, "Complete")).toBe(true);
    const containers = (
      job?.spec as
        | { template: { spec: { containers: { env: { name: string; value: string }[] }[] } } }
        | undefined
    )?.template.spec.containers;
    expect(containers?.[0]?.env).toContainEqual({ name: "SLUICE_PARAM_EPOCHS", value: "3" });

    const runs = await sluice(env, "functions", "runs", "train");
    expect(runs.stdout).toMatch(new RegExp(`completed .* Job ${namespace}/train-`));
  });

  it("reports a failed job with its pod's exit code and exits 3", async () => {
    const namespace = await freshNamespace();
    const env = testEnv();
    const result = await sluice(env, "run", join(fixtures, "crash.yaml"), "--namespace", namespace, "--wait");
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(
      /sluice: run [0-9a-f]{12} of crash error: Job crash-[0-9a-f]{8} failed: BackoffLimitExceeded.*its pod exited with code 7/,
    );
    const store = FunctionStore.open(env.SLUICE_STORE);
    const [record] = store.runs.list({ name: "crash" });
    store.close();
    expect(record).toMatchObject({ state: "error", exit_code: 7 });
  });

  it("says once that the fake node serves no logs, and still follows the run", async () => {
    const namespace = await freshNamespace();
    const result = await sluice(
      testEnv(),
      "run",
      join(fixtures, "train.yaml"),
      "--namespace",
      namespace,
      "--watch",
    );
    expect(result.code).toBe(0);
    expect(result.stderr.match(/logs: the cluster does not serve this run's pod logs/g)).toHaveLength(1);
  });

  it("returns at once without --wait, leaving the run recorded as running", async () => {
    const namespace = await freshNamespace();
    const env = testEnv();
    const result = await sluice(env, "run", join(fixtures, "train.yaml"), "--namespace", namespace);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`started as Job ${namespace}/train-[0-9a-f]{8}`));
    const store = FunctionStore.open(env.SLUICE_STORE);
    expect(store.runs.list({ name: "train" })[0]?.state).toBe("running");
    store.close();
  });

  it("runs with the restricted control-plane identity, and a token without it is told what was denied", async () => {
    const namespace = await freshNamespace();
    const allowed = await sluice(
      testEnv(inject("kubeRestrictedConfig")),
      "run",
      join(fixtures, "train.yaml"),
      "--namespace",
      namespace,
      "--wait",
    );
    expect(allowed.code).toBe(0);
    const denied = await sluice(
      testEnv(await unboundKubeconfig(namespace)),
      "run",
      join(fixtures, "train.yaml"),
      "--namespace",
      namespace,
      "--wait",
    );
    expect(denied.code).toBe(3);
    expect(denied.stderr.split("\n")[0]).toMatch(
      new RegExp(
        `^sluice: cannot list Job in namespace ${namespace}: jobs.batch is forbidden: User "system:serviceaccount:${namespace}:nobody-[0-9a-f]+" cannot list resource "jobs" in API group "batch" in the namespace "${namespace}"$`,
      ),
    );
    expect(denied.stderr).toMatch(/hint: grant the verb/);
  });
});
