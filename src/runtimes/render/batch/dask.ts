import type { DaskSpec, EnvVar } from "../../types.js";
import type { KubeObject } from "../objects.js";
import { type BatchContext, renderError, runEnv, runMetadata } from "./context.js";
import { containerOf, podMetadata, podSpecOf } from "./pod.js";
import { programOf } from "./program.js";

/** The Dask ports, named as the dask-kubernetes operator names them (its Service targets them by name). */
const schedulerPorts = [
  { name: "tcp-comm", containerPort: 8786, protocol: "TCP" as const },
  { name: "http-dashboard", containerPort: 8787, protocol: "TCP" as const },
];
const workerPorts = [{ name: "http-dashboard", containerPort: 8788, protocol: "TCP" as const }];

/**
 * `dask` → a DaskJob (kubernetes.dask.org/v1), as the dask-kubernetes operator reads it: the
 * job runner pod (container `job`, the function's command; the operator gives it
 * DASK_SCHEDULER_ADDRESS) and a cluster of one scheduler (with its Service) and `replicas`
 * workers, each role with its own resources. The operator names the cluster after the DaskJob.
 */
export function renderDask(context: BatchContext): KubeObject[] {
  const { fn, run } = context;
  const spec = context.spec as DaskSpec;
  refuseUnsupported(context, spec);
  const program = programOf(context);
  const extraPip: EnvVar[] = spec.extra_pip ? [{ name: "EXTRA_PIP_PACKAGES", value: spec.extra_pip }] : [];

  const job = containerOf(
    context,
    {
      name: "job",
      command: program.argv,
      args: spec.args ?? [],
      env: [...runEnv(fn, run), ...extraPip],
      resources: spec.resources,
    },
    program.shipped,
  );
  const plainEnv = [...(spec.env ?? []), ...extraPip];
  const scheduler = containerOf(
    context,
    {
      name: "scheduler",
      args: ["dask-scheduler", ...(spec.scheduler_timeout ? ["--idle-timeout", spec.scheduler_timeout] : [])],
      env: plainEnv,
      resources: spec.scheduler_resources,
      ports: schedulerPorts,
    },
    program.shipped,
  );
  const worker = containerOf(
    context,
    {
      name: "worker",
      args: [
        "dask-worker",
        "--name",
        "$(DASK_WORKER_NAME)",
        "--dashboard",
        "--dashboard-address",
        "8788",
        ...(spec.nthreads !== undefined ? ["--nthreads", String(spec.nthreads)] : []),
      ],
      env: plainEnv,
      resources: spec.worker_resources,
      ports: workerPorts,
    },
    program.shipped,
  );

  const serviceType = spec.service_type ?? "ClusterIP";
  const daskJob: KubeObject = {
    apiVersion: "kubernetes.dask.org/v1",
    kind: "DaskJob",
    metadata: runMetadata(context),
    spec: {
      job: {
        metadata: podMetadata(context),
        spec: podSpecOf(context, [job], program.shipped, {
          restartPolicy: "Never",
          ...(run.timeoutSeconds !== undefined ? { activeDeadlineSeconds: run.timeoutSeconds } : {}),
        }),
      },
      cluster: {
        spec: {
          worker: {
            replicas: spec.replicas ?? 1,
            metadata: podMetadata(context),
            spec: podSpecOf(context, [worker], program.shipped),
          },
          scheduler: {
            metadata: podMetadata(context),
            spec: podSpecOf(context, [scheduler], program.shipped),
            service: {
              type: serviceType,
              selector: { "dask.org/cluster-name": context.name, "dask.org/component": "scheduler" },
              ports: [
                {
                  name: "tcp-comm",
                  protocol: "TCP",
                  port: 8786,
                  targetPort: "tcp-comm",
                  ...(spec.node_port !== undefined ? { nodePort: spec.node_port } : {}),
                },
                { name: "http-dashboard", protocol: "TCP", port: 8787, targetPort: "http-dashboard" },
              ],
            },
          },
        },
      },
    },
  };
  return program.shipped ? [program.shipped.configMap, daskJob] : [daskJob];
}

function refuseUnsupported(context: BatchContext, spec: DaskSpec): void {
  const { fn } = context;
  if (spec.min_replicas !== undefined || spec.max_replicas !== undefined) {
    const field = spec.min_replicas !== undefined ? "min_replicas" : "max_replicas";
    throw renderError(
      fn,
      field,
      "autoscaling a run's Dask cluster needs a DaskAutoscaler, which sluice does not render",
      "set spec.replicas to the number of workers",
    );
  }
  if (spec.remote === false) {
    throw renderError(
      fn,
      "remote",
      "false asks for a Dask cluster on this machine; sluice run puts it on Kubernetes",
    );
  }
  if (spec.node_port !== undefined && spec.service_type !== "NodePort") {
    throw renderError(fn, "node_port", "applies to service_type NodePort only");
  }
}
