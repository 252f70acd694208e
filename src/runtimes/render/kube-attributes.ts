import type { EnvVar, NuclioSpec } from "../types.js";
import { deployInvalid } from "./deploy-error.js";

/** Env names sluice's entry reads: a function's spec may not set them. */
export const reservedEnv = new Set(["SLUICE_GRAPH", "SLUICE_FUNCTION", "SLUICE_EVENT_TIMEOUT"]);

/**
 * The Kubernetes attributes of a function's spec (MLRun's snake_case names) as a
 * NuclioFunction's spec writes them (camelCase). Secret env stays a `secretKeyRef`: the value
 * never enters the rendered object. Volumes pair with their mounts into Nuclio's
 * `[{volume, volumeMount}]` list; a volume without a mount, or a mount without a volume, is
 * refused rather than dropped.
 */
export function nuclioKubeAttributes(spec: NuclioSpec, where: string) {
  const out: Record<string, unknown> = {};
  if (spec.resources) out.resources = spec.resources;
  const volumes = pairVolumes(spec, where);
  if (volumes.length > 0) out.volumes = volumes;
  if (spec.node_selector) out.nodeSelector = spec.node_selector;
  if (spec.node_name) out.nodeName = spec.node_name;
  if (spec.affinity) out.affinity = spec.affinity;
  if (spec.tolerations) out.tolerations = spec.tolerations;
  if (spec.priority_class_name) out.priorityClassName = spec.priority_class_name;
  if (spec.service_account) out.serviceAccount = spec.service_account;
  if (spec.image_pull_policy) out.imagePullPolicy = spec.image_pull_policy;
  if (spec.image_pull_secret) out.imagePullSecrets = spec.image_pull_secret;
  if (spec.security_context) out.securityContext = spec.security_context;
  if (spec.replicas !== undefined) out.replicas = spec.replicas;
  if (spec.min_replicas !== undefined) out.minReplicas = spec.min_replicas;
  if (spec.max_replicas !== undefined) out.maxReplicas = spec.max_replicas;
  if (spec.target_cpu !== undefined) out.targetCPU = spec.target_cpu;
  if (spec.readiness_timeout !== undefined) out.readinessTimeoutSeconds = spec.readiness_timeout;
  if (spec.service_type) out.serviceType = spec.service_type;
  return out;
}

/** The spec's env, checked: no reserved names, and secrets only by reference. */
export function userEnv(env: readonly EnvVar[] | undefined, where: string): EnvVar[] {
  return (env ?? []).map((variable, i) => {
    if (reservedEnv.has(variable.name)) {
      throw deployInvalid(
        `${where}, field spec.env[${i}]`,
        `${variable.name} is set by sluice deploy (it tells the entry what to run and for how long)`,
      );
    }
    return variable;
  });
}

function pairVolumes(spec: NuclioSpec, where: string) {
  const mounts = spec.volume_mounts ?? [];
  const volumes = spec.volumes ?? [];
  const byName = new Map(volumes.map((v) => [v.name, v]));
  for (const [i, mount] of mounts.entries()) {
    if (!byName.has(mount.name)) {
      throw deployInvalid(
        `${where}, field spec.volume_mounts[${i}]`,
        `mounts the volume "${mount.name}", which spec.volumes does not declare`,
      );
    }
  }
  for (const [i, volume] of volumes.entries()) {
    if (!mounts.some((m) => m.name === volume.name)) {
      throw deployInvalid(
        `${where}, field spec.volumes[${i}]`,
        `the volume "${volume.name}" is mounted nowhere (Nuclio takes a volume with its mount)`,
        "add a volume_mounts entry for it, or remove it",
      );
    }
  }
  return mounts.map((volumeMount) => ({ volume: byName.get(volumeMount.name), volumeMount }));
}
