import type {
  EnvVar,
  KubernetesSpec,
  ResourceRequirements,
  Toleration,
  Volume,
  VolumeMount,
} from "../../types.js";
import { type BatchContext, renderError } from "./context.js";
import type { ShippedCode } from "./program.js";

/**
 * The pod part every batch kind shares: one container running the function's image with the
 * function's Kubernetes attributes (env, resources, volumes, pull policy and secret, service
 * account, node selection, priority class, security context). A Job uses it as is; DaskJob and
 * MPIJob use it once per role with that role's command and resources.
 */
export interface Container {
  name: string;
  image: string;
  imagePullPolicy?: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: EnvVar[];
  resources?: ResourceRequirements;
  volumeMounts?: VolumeMount[];
  securityContext?: Record<string, unknown>;
  ports?: { name: string; containerPort: number; protocol: "TCP" }[];
  [key: string]: unknown;
}

export interface PodSpec {
  restartPolicy?: "Never" | "OnFailure" | "Always";
  activeDeadlineSeconds?: number;
  serviceAccountName?: string;
  imagePullSecrets?: { name: string }[];
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  affinity?: Record<string, unknown>;
  tolerations?: Toleration[];
  priorityClassName?: string;
  volumes?: Volume[];
  containers: Container[];
  [key: string]: unknown;
}

/** One role's container: its name, what it runs, its env and resources. */
export interface RoleContainer {
  name: string;
  command?: string[] | undefined;
  args?: string[] | undefined;
  env?: EnvVar[] | undefined;
  resources?: ResourceRequirements | undefined;
  ports?: Container["ports"];
}

/** The function's mounts plus shipped code's. */
export function mountsOf(spec: KubernetesSpec, shipped: ShippedCode | undefined): VolumeMount[] {
  const mounts = (spec.volume_mounts ?? []).map((m) => ({ ...m }));
  return shipped ? [...mounts, { ...shipped.mount }] : mounts;
}

/** The function's volumes plus shipped code's. */
export function volumesOf(spec: KubernetesSpec, shipped: ShippedCode | undefined): Volume[] {
  const volumes = (spec.volumes ?? []).map((v) => structuredClone(v));
  return shipped ? [...volumes, structuredClone(shipped.volume)] : volumes;
}

/** A container of the function's image, with its pull policy, mounts, working dir and security context. */
export function containerOf(
  context: BatchContext,
  role: RoleContainer,
  shipped: ShippedCode | undefined,
): Container {
  const { spec } = context;
  const mounts = mountsOf(spec, shipped);
  return {
    name: role.name,
    image: context.image,
    ...(spec.image_pull_policy ? { imagePullPolicy: spec.image_pull_policy } : {}),
    ...(role.command ? { command: [...role.command] } : {}),
    ...(role.args && role.args.length > 0 ? { args: [...role.args] } : {}),
    ...(spec.workdir !== undefined ? { workingDir: workdirOf(context) } : {}),
    ...(role.env && role.env.length > 0 ? { env: role.env.map((e) => structuredClone(e)) } : {}),
    ...(role.resources && Object.keys(role.resources).length > 0
      ? { resources: structuredClone(role.resources) }
      : {}),
    ...(role.ports ? { ports: role.ports.map((p) => ({ ...p })) } : {}),
    ...(mounts.length > 0 ? { volumeMounts: mounts } : {}),
    ...(spec.security_context ? { securityContext: structuredClone(spec.security_context) } : {}),
  };
}

function workdirOf(context: BatchContext): string {
  const workdir = context.spec.workdir as string;
  if (!workdir.startsWith("/")) {
    throw renderError(
      context.fn,
      "workdir",
      `"${workdir}" is relative: in a container the working directory must be an absolute path`,
    );
  }
  return workdir;
}

/**
 * A pod spec with the given containers and the function's pod-level attributes. `restartPolicy`
 * is the caller's (Never for a run: a failure is the run's answer, not a reason to loop).
 */
export function podSpecOf(
  context: BatchContext,
  containers: Container[],
  shipped: ShippedCode | undefined,
  extra: Pick<PodSpec, "restartPolicy" | "activeDeadlineSeconds"> = {},
): PodSpec {
  const { spec } = context;
  const volumes = volumesOf(spec, shipped);
  return {
    ...extra,
    ...(spec.service_account ? { serviceAccountName: spec.service_account } : {}),
    ...(spec.image_pull_secret ? { imagePullSecrets: [{ name: spec.image_pull_secret }] } : {}),
    ...(spec.node_name ? { nodeName: spec.node_name } : {}),
    ...(spec.node_selector && Object.keys(spec.node_selector).length > 0
      ? { nodeSelector: { ...spec.node_selector } }
      : {}),
    ...(spec.affinity ? { affinity: structuredClone(spec.affinity) } : {}),
    ...(spec.tolerations && spec.tolerations.length > 0
      ? { tolerations: spec.tolerations.map((t) => ({ ...t })) }
      : {}),
    ...(spec.priority_class_name ? { priorityClassName: spec.priority_class_name } : {}),
    ...(volumes.length > 0 ? { volumes } : {}),
    containers,
  };
}

/** The pod template metadata: the run's labels (no hash: pods are not compared) and annotations. */
export function podMetadata(context: BatchContext): {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
} {
  return {
    labels: { ...context.labels },
    ...(context.annotations ? { annotations: { ...context.annotations } } : {}),
  };
}

/** Refuses `replicas` other than 1 for kinds that run a single pod. */
export function singlePod(context: BatchContext): void {
  const replicas = context.spec.replicas;
  if (replicas !== undefined && replicas !== 1) {
    throw renderError(
      context.fn,
      "replicas",
      `a ${context.fn.kind} function runs one pod, got replicas ${replicas}`,
      "for parallel work use a dask or mpijob function",
    );
  }
}
