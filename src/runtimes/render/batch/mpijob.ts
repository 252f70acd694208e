import type { MpiJobSpec } from "../../types.js";
import type { KubeObject } from "../objects.js";
import { type BatchContext, renderError, runEnv, runMetadata } from "./context.js";
import { containerOf, podMetadata, podSpecOf } from "./pod.js";
import { programOf } from "./program.js";

const processCountFlags = new Set(["-np", "-n", "--np", "-c"]);

/**
 * `mpijob` → an MPIJob (kubeflow.org/v2beta1): one Launcher running `mpirun` over the workers
 * and `replicas` Workers (the image's entrypoint, which must start sshd as mpi-operator's base
 * images do). mpirun starts `replicas × slots_per_worker` processes of the function's program
 * unless mpi_args give their own count, and exports the run's env to them with `-x` (Open MPI,
 * the operator's default implementation): a process started over ssh does not inherit the
 * container's env.
 */
export function renderMpiJob(context: BatchContext): KubeObject[] {
  const { fn, run } = context;
  const spec = context.spec as MpiJobSpec;
  const program = programOf(context);
  if (program.argv === undefined) {
    throw renderError(fn, "command", "is required: the program mpirun starts on every slot");
  }
  const workers = spec.replicas ?? 1;
  if (workers < 1) throw renderError(fn, "replicas", "an MPIJob needs at least one worker");
  const slots = spec.slots_per_worker ?? 1;
  const mpiArgs = spec.mpi_args ?? [];
  // No SLUICE_RESULTS_FILE: the ranks run on the workers, whose termination messages no one reads.
  const env = runEnv(fn, run, false);
  const launcher = containerOf(
    context,
    {
      name: "launcher",
      command: [
        "mpirun",
        ...(mpiArgs.some((arg) => processCountFlags.has(arg)) ? [] : ["-np", String(workers * slots)]),
        ...mpiArgs,
        ...env.flatMap((entry) => ["-x", entry.name]),
        ...program.argv,
      ],
      args: spec.args ?? [],
      env,
      resources: spec.launcher_resources,
    },
    program.shipped,
  );
  const worker = containerOf(context, { name: "worker", env, resources: spec.resources }, program.shipped);
  const runPolicy = {
    ...(spec.clean_pod_policy ? { cleanPodPolicy: spec.clean_pod_policy } : {}),
    ...(run.timeoutSeconds !== undefined ? { activeDeadlineSeconds: run.timeoutSeconds } : {}),
    ...(run.ttlSecondsAfterFinished !== undefined
      ? { ttlSecondsAfterFinished: run.ttlSecondsAfterFinished }
      : {}),
  };
  const mpiJob: KubeObject = {
    apiVersion: "kubeflow.org/v2beta1",
    kind: "MPIJob",
    metadata: runMetadata(context),
    spec: {
      slotsPerWorker: slots,
      ...(Object.keys(runPolicy).length > 0 ? { runPolicy } : {}),
      mpiReplicaSpecs: {
        Launcher: {
          replicas: 1,
          restartPolicy: "Never",
          template: {
            metadata: podMetadata(context),
            spec: podSpecOf(context, [launcher], program.shipped),
          },
        },
        Worker: {
          replicas: workers,
          template: {
            metadata: podMetadata(context),
            spec: podSpecOf(context, [worker], program.shipped),
          },
        },
      },
    },
  };
  return program.shipped ? [program.shipped.configMap, mpiJob] : [mpiJob];
}
