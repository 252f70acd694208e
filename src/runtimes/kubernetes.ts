import { pointer } from "../graph/problems.js";
import { invalidCall } from "./problems.js";
import { quantityProblem, resourceProblems } from "./quantity.js";
import { patterns } from "./schema/parts.js";
import {
  type FunctionKind,
  type KubernetesSpec,
  kubernetesKinds,
  type Quantity,
  type ResourceRequirements,
  type Toleration,
  type Volume,
  type VolumeMount,
} from "./types.js";

/**
 * The work behind FunctionObject's Kubernetes methods. Each checks its input before it
 * writes anything, so a failed call leaves the function as it was.
 */

export const defaultGpuType = "nvidia.com/gpu";

export type ResourceField =
  | "resources"
  | "driver_resources"
  | "executor_resources"
  | "scheduler_resources"
  | "worker_resources"
  | "launcher_resources";

/** Refuses a Kubernetes method on a kind that runs on this machine (handler, local). */
export function kubernetesSpecOf(kind: FunctionKind, spec: unknown, method: string): KubernetesSpec {
  if (!kubernetesKinds.has(kind)) {
    throw invalidCall(
      method,
      "/kind",
      `${kind} functions run on this machine: ${method}() applies only to the kinds that run on Kubernetes (${[...kubernetesKinds].join(", ")})`,
    );
  }
  return spec as KubernetesSpec;
}

/** Sets amounts on one side (limits or requests) of a resources block; undefined amounts are left alone. */
export function setAmounts(
  kind: FunctionKind,
  spec: unknown,
  method: string,
  field: ResourceField,
  side: "limits" | "requests",
  amounts: Record<string, Quantity | undefined>,
): void {
  const target = kubernetesSpecOf(kind, spec, method) as Record<string, unknown>;
  if (kind === "spark" && field === "resources") {
    throw invalidCall(
      method,
      "/spec/resources",
      "spark functions size the driver and the executors apart: use withDriverLimits/withDriverRequests and withExecutorLimits/withExecutorRequests",
    );
  }
  const notation = kind === "spark" && field !== "resources" ? "jvm" : "kubernetes";
  const current = (target[field] ?? {}) as ResourceRequirements;
  const next: ResourceRequirements = { ...current, [side]: { ...current[side] } };
  const amountsOnSide = next[side] as Record<string, Quantity>;
  for (const [resource, value] of Object.entries(amounts)) {
    if (value === undefined) continue;
    const at = pointer("spec", field, side, resource);
    if (!new RegExp(patterns.resourceName).test(resource)) {
      throw invalidCall(
        method,
        at,
        `"${resource}" is not a resource name (e.g. cpu, memory, nvidia.com/gpu)`,
      );
    }
    const problem = quantityProblem(resource, value, notation);
    if (problem) throw invalidCall(method, at, problem);
    amountsOnSide[resource] = value;
  }
  const conflict = resourceProblems(next, notation)[0];
  if (conflict) throw invalidCall(method, pointer("spec", field, ...conflict.path), conflict.message);
  target[field] = next;
}

/** Mounts a volume: replaces a volume of the same name and a mount at the same path. */
export function mountVolume(
  kind: FunctionKind,
  spec: unknown,
  method: string,
  volume: Volume,
  mount: Omit<VolumeMount, "name">,
): void {
  const target = kubernetesSpecOf(kind, spec, method);
  if (!new RegExp(patterns.name).test(volume.name) || volume.name.length > 63) {
    throw invalidCall(
      method,
      "/spec/volumes",
      `volume name "${volume.name}" must be a Kubernetes-style name`,
    );
  }
  if (!mount.mountPath.startsWith("/")) {
    throw invalidCall(method, "/spec/volume_mounts", `mount path "${mount.mountPath}" must be absolute`);
  }
  const volumes = (target.volumes ?? []).filter((v) => v.name !== volume.name);
  const mounts = (target.volume_mounts ?? []).filter((m) => m.mountPath !== mount.mountPath);
  target.volumes = [...volumes, volume];
  target.volume_mounts = [...mounts, { name: volume.name, ...mount }];
}

/** A volume name derived from a Secret, ConfigMap or claim name (those may hold dots; volume names may not). */
export function volumeNameFor(prefix: string, resource: string): string {
  const cleaned = `${prefix}-${resource}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .slice(0, 63)
    .replace(/^-+|-+$/g, "");
  return cleaned || prefix;
}

export interface NodeSelection {
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  affinity?: Record<string, unknown>;
}

export function setNodeSelection(kind: FunctionKind, spec: unknown, selection: NodeSelection): void {
  const target = kubernetesSpecOf(kind, spec, "withNodeSelection");
  for (const [key, value] of Object.entries(selection.nodeSelector ?? {})) {
    if (!new RegExp(patterns.labelKey).test(key) || !new RegExp(patterns.labelValue).test(value)) {
      throw invalidCall(
        "withNodeSelection",
        pointer("spec", "node_selector", key),
        `"${key}: ${value}" is not a Kubernetes label`,
      );
    }
  }
  if (selection.nodeName !== undefined) target.node_name = selection.nodeName;
  if (selection.nodeSelector !== undefined) target.node_selector = { ...selection.nodeSelector };
  if (selection.tolerations !== undefined) target.tolerations = [...selection.tolerations];
  if (selection.affinity !== undefined) target.affinity = selection.affinity;
}
