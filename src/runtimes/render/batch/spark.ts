import { extname } from "node:path";
import { parseJvmSize } from "../../quantity.js";
import type { ResourceRequirements, SparkSpec, Toleration } from "../../types.js";
import type { KubeObject } from "../objects.js";
import { type BatchContext, renderError, runEnv, runMetadata } from "./context.js";
import { mountsOf, volumesOf } from "./pod.js";
import { programOf, type ShippedCode } from "./program.js";
import { paramsArgument } from "./spark-deps.js";

type Role = "driver" | "executor";

/**
 * `spark` → a SparkApplication (sparkoperator.k8s.io/v1beta2) in cluster mode: the operator
 * runs spark-submit, which starts the driver pod, which starts `replicas` executors. Memory is
 * in JVM notation (`1g`), as Spark reads it; the function's Kubernetes attributes go to both
 * roles, with `driver_*`/`executor_*` node selectors and tolerations taking precedence.
 */
export function renderSpark(context: BatchContext): KubeObject[] {
  const { fn, run } = context;
  const spec = context.spec as SparkSpec;
  refuseUnsupported(context, spec);
  const program = programOf(context, true);
  if (program.file === undefined) {
    throw renderError(
      fn,
      "command",
      "is required: the application file (local://, s3a://, ... .py, .jar or .R)",
    );
  }
  const mainApplicationFile = program.shipped ? `local://${program.file}` : program.file;
  const volumes = volumesOf(spec, program.shipped);
  const application: KubeObject = {
    apiVersion: "sparkoperator.k8s.io/v1beta2",
    kind: "SparkApplication",
    metadata: runMetadata(context),
    spec: {
      type: jobTypeOf(context, spec, program.file),
      ...(spec.python_version ? { pythonVersion: spec.python_version } : {}),
      mode: "cluster",
      image: context.image,
      ...(spec.image_pull_policy ? { imagePullPolicy: spec.image_pull_policy } : {}),
      ...(spec.image_pull_secret ? { imagePullSecrets: [spec.image_pull_secret] } : {}),
      mainApplicationFile,
      ...(spec.main_class ? { mainClass: spec.main_class } : {}),
      arguments: [...(spec.args ?? []), ...paramsArgument(run.params)],
      sparkVersion: spec.spark_version,
      ...(spec.spark_conf ? { sparkConf: { ...spec.spark_conf } } : {}),
      ...(spec.hadoop_conf ? { hadoopConf: { ...spec.hadoop_conf } } : {}),
      ...(spec.deps ? { deps: structuredClone(spec.deps) } : {}),
      restartPolicy: restartPolicyOf(context, spec),
      ...(spec.dynamic_allocation ? { dynamicAllocation: { ...spec.dynamic_allocation } } : {}),
      ...monitoringOf(context, spec),
      ...(run.ttlSecondsAfterFinished !== undefined
        ? { timeToLiveSeconds: run.ttlSecondsAfterFinished }
        : {}),
      ...(volumes.length > 0 ? { volumes } : {}),
      driver: roleOf(context, spec, "driver", program.shipped),
      executor: { ...roleOf(context, spec, "executor", program.shipped), instances: spec.replicas ?? 1 },
    },
  };
  return program.shipped ? [program.shipped.configMap, application] : [application];
}

function refuseUnsupported(context: BatchContext, spec: SparkSpec): void {
  const { fn } = context;
  if (spec.spark_version === undefined) {
    throw renderError(
      fn,
      "spark_version",
      "is required: the Spark operator needs the application's sparkVersion",
    );
  }
  if (spec.resources !== undefined) {
    throw renderError(
      fn,
      "resources",
      "a spark function sizes the driver and the executors apart",
      "use driver_resources and executor_resources",
    );
  }
  if (spec.node_name !== undefined) {
    throw renderError(
      fn,
      "node_name",
      "a SparkApplication cannot pin its pods to a node",
      "use node_selector (or driver_node_selector)",
    );
  }
  if (spec.workdir !== undefined) {
    throw renderError(
      fn,
      "workdir",
      "Spark starts the driver and executors in the image's working directory",
    );
  }
  if ((spec.replicas ?? 1) < 1)
    throw renderError(fn, "replicas", "a SparkApplication needs at least one executor");
  if (context.run.timeoutSeconds !== undefined) {
    throw renderError(fn, "/kind", "a SparkApplication has no deadline: run it without a timeout");
  }
}

/** MLRun's default is Python; a .jar with a main class is Scala (the JVM runs Java the same way). */
function jobTypeOf(context: BatchContext, spec: SparkSpec, file: string): string {
  if (spec.job_type) return spec.job_type;
  const ext = extname(file).toLowerCase();
  if (ext === ".jar") return "Scala";
  if (ext === ".r") return "R";
  if (ext === ".py" || spec.main_class === undefined) return "Python";
  throw renderError(context.fn, "job_type", "is required: Java, Scala, Python or R");
}

function restartPolicyOf(context: BatchContext, spec: SparkSpec): Record<string, unknown> {
  const policy = spec.restart_policy ?? {};
  for (const field of ["retry_interval", "submission_retry_interval"] as const) {
    if (policy[field] === 0) {
      throw renderError(
        context.fn,
        `restart_policy/${field}`,
        "must be at least 1 second (the operator's minimum)",
      );
    }
  }
  return {
    type: policy.type ?? "Never",
    ...(policy.retries !== undefined ? { onFailureRetries: policy.retries } : {}),
    ...(policy.retry_interval !== undefined ? { onFailureRetryInterval: policy.retry_interval } : {}),
    ...(policy.submission_retries !== undefined
      ? { onSubmissionFailureRetries: policy.submission_retries }
      : {}),
    ...(policy.submission_retry_interval !== undefined
      ? { onSubmissionFailureRetryInterval: policy.submission_retry_interval }
      : {}),
  };
}

function monitoringOf(context: BatchContext, spec: SparkSpec): Record<string, unknown> {
  if (!spec.monitoring?.enabled) return {};
  if (!spec.monitoring.exporter_jar) {
    throw renderError(
      context.fn,
      "monitoring/exporter_jar",
      "is required with monitoring enabled: the JMX Prometheus agent jar's path in the image",
    );
  }
  return {
    monitoring: {
      exposeDriverMetrics: true,
      exposeExecutorMetrics: true,
      prometheus: { jmxExporterJar: spec.monitoring.exporter_jar },
    },
  };
}

/** One role's part: cores, memory and GPU from its resources, then the pod attributes. */
function roleOf(
  context: BatchContext,
  spec: SparkSpec,
  role: Role,
  shipped: ShippedCode | undefined,
): Record<string, unknown> {
  const resources = spec[`${role}_resources`];
  const cores = spec[`${role}_cores`];
  const nodeSelector = { ...spec.node_selector, ...spec[`${role}_node_selector`] };
  const tolerations: Toleration[] | undefined = spec[`${role}_tolerations`] ?? spec.tolerations;
  const javaOptions = spec[`${role}_java_options`];
  const env = runEnv(context.fn, context.run, false);
  const mounts = mountsOf(spec, shipped);
  return {
    ...(cores !== undefined ? { cores } : {}),
    ...sizing(context, role, resources),
    ...(javaOptions ? { javaOptions } : {}),
    labels: { ...context.labels },
    ...(context.annotations ? { annotations: { ...context.annotations } } : {}),
    ...(spec.service_account ? { serviceAccount: spec.service_account } : {}),
    env,
    ...(Object.keys(nodeSelector).length > 0 ? { nodeSelector } : {}),
    ...(tolerations && tolerations.length > 0 ? { tolerations: tolerations.map((t) => ({ ...t })) } : {}),
    ...(spec.affinity ? { affinity: structuredClone(spec.affinity) } : {}),
    ...(spec.priority_class_name ? { priorityClassName: spec.priority_class_name } : {}),
    ...(spec.security_context ? { securityContext: structuredClone(spec.security_context) } : {}),
    ...(mounts.length > 0 ? { volumeMounts: mounts } : {}),
  };
}

/** coreRequest/coreLimit (Kubernetes CPU), memory (JVM), memoryLimit (Kubernetes), gpu {name, quantity}. */
function sizing(
  context: BatchContext,
  role: Role,
  resources: ResourceRequirements | undefined,
): Record<string, unknown> {
  const requests = resources?.requests ?? {};
  const limits = resources?.limits ?? {};
  const out: Record<string, unknown> = {};
  if (requests.cpu !== undefined) out.coreRequest = String(requests.cpu);
  if (limits.cpu !== undefined) out.coreLimit = String(limits.cpu);
  const memory = requests.memory ?? limits.memory;
  if (memory !== undefined) out.memory = typeof memory === "number" ? `${memory}m` : memory;
  if (requests.memory !== undefined && limits.memory !== undefined) {
    // The pod's limit is a Kubernetes quantity; JVM `2g` is not one, so it is given in Mi.
    out.memoryLimit = `${Math.ceil((parseJvmSize(limits.memory) as number) / 2 ** 20)}Mi`;
  }
  for (const side of [requests, limits]) {
    for (const name of Object.keys(side)) {
      if (name === "cpu" || name === "memory") continue;
      if (!name.includes("/")) {
        throw renderError(
          context.fn,
          `${role}_resources`,
          `${name} cannot be set on a Spark ${role} (cpu, memory and GPUs can)`,
        );
      }
      const gpu = out.gpu as { name: string } | undefined;
      if (gpu !== undefined && gpu.name !== name) {
        throw renderError(
          context.fn,
          `${role}_resources`,
          `a Spark ${role} takes one GPU type, got ${gpu.name} and ${name}`,
        );
      }
      out.gpu = { name, quantity: Number(limits[name] ?? side[name]) };
    }
  }
  return out;
}
