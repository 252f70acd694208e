import type { JobSpec, KubernetesSpec } from "../../types.js";
import type { KubeObject } from "../objects.js";
import { type BatchContext, runEnv, runMetadata } from "./context.js";
import { containerOf, podMetadata, podSpecOf, singlePod } from "./pod.js";
import { type Program, programOf } from "./program.js";

/** The name of the container that runs the function (logs and exit codes are read from it). */
export const mainContainer = "main";

/**
 * A `batch/v1` Job running `argv` + `args` once (restartPolicy Never; `backoff_limit` retries
 * as new pods). Shared by `job` (the function's own program) and `remote-spark` (spark-submit).
 */
export function jobObjects(context: BatchContext, program: Program, args: string[]): KubeObject[] {
  singlePod(context);
  const spec = context.spec as KubernetesSpec & Pick<JobSpec, "backoff_limit">;
  const container = containerOf(
    context,
    {
      name: mainContainer,
      command: program.argv,
      args,
      env: runEnv(context.fn, context.run),
      resources: spec.resources,
    },
    program.shipped,
  );
  const { run } = context;
  const job: KubeObject = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: runMetadata(context),
    spec: {
      ...(spec.backoff_limit !== undefined ? { backoffLimit: spec.backoff_limit } : {}),
      ...(run.timeoutSeconds !== undefined ? { activeDeadlineSeconds: run.timeoutSeconds } : {}),
      ...(run.ttlSecondsAfterFinished !== undefined
        ? { ttlSecondsAfterFinished: run.ttlSecondsAfterFinished }
        : {}),
      template: {
        metadata: podMetadata(context),
        spec: podSpecOf(context, [container], program.shipped, { restartPolicy: "Never" }),
      },
    },
  };
  return program.shipped ? [program.shipped.configMap, job] : [job];
}

/** `job` → a Job running the function's command with its args; params reach it as env. */
export function renderJob(context: BatchContext): KubeObject[] {
  return jobObjects(context, programOf(context), context.spec.args ?? []);
}
