import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, posix } from "node:path";
import type { KubeObject } from "../../src/runtimes/render/index.js";

/** One ConfigMap volume of a rendered object: which ConfigMap, which keys at which paths, and where it is mounted. */
export interface ConfigMapVolume {
  configMap: string;
  items: readonly { key: string; path: string }[];
  mountPath: string;
}

interface VolumeSource {
  name: string;
  configMap?: { name: string; items?: { key: string; path: string }[] };
}

/**
 * The ConfigMap volumes of a rendered NuclioFunction (`spec.volumes: [{volume, volumeMount}]`)
 * or Deployment (its pod's `volumes`, mounted by the first container), with their mount paths.
 */
export function configMapVolumes(object: KubeObject): ConfigMapVolume[] {
  const pairs: { volume: VolumeSource; mountPath: string | undefined }[] = [];
  if (object.kind === "NuclioFunction") {
    const spec = object.spec as { volumes?: { volume: VolumeSource; volumeMount: { mountPath: string } }[] };
    for (const v of spec.volumes ?? []) pairs.push({ volume: v.volume, mountPath: v.volumeMount.mountPath });
  } else if (object.kind === "Deployment") {
    const pod = (
      object.spec as {
        template: {
          spec: {
            volumes?: VolumeSource[];
            containers: { volumeMounts?: { name: string; mountPath: string }[] }[];
          };
        };
      }
    ).template.spec;
    const mounts = pod.containers[0]?.volumeMounts ?? [];
    for (const volume of pod.volumes ?? [])
      pairs.push({ volume, mountPath: mounts.find((m) => m.name === volume.name)?.mountPath });
  } else throw new Error(`${object.kind}/${object.metadata.name} has no pod volumes to read`);
  return pairs.flatMap(({ volume, mountPath }) => {
    if (!volume.configMap) return [];
    if (mountPath === undefined)
      throw new Error(`volume ${volume.name} of ${object.metadata.name} is not mounted`);
    return [{ configMap: volume.configMap.name, items: volume.configMap.items ?? [], mountPath }];
  });
}

/**
 * Lays a ConfigMap's keys out in `dir` as a pod sees them at the mount, following the
 * volume's `items` (key → path). A key the ConfigMap lacks fails (Kubernetes would refuse to
 * start the pod), so a renderer that names a file it did not ship is caught here.
 */
export async function mountConfigMap(
  configMap: KubeObject,
  items: readonly { key: string; path: string }[],
  dir: string,
): Promise<void> {
  const data = (configMap.data ?? {}) as Record<string, string>;
  const binary = (configMap.binaryData ?? {}) as Record<string, string>;
  for (const { key, path } of items) {
    const text = data[key];
    const bytes = binary[key];
    if (text === undefined && bytes === undefined)
      throw new Error(`ConfigMap ${configMap.metadata.name} has no key ${key} (for ${path})`);
    const target = join(dir, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, text ?? Buffer.from(bytes ?? "", "base64"));
  }
}

/** Mounts a volume's ConfigMap, found among the rendered objects by name, into `dir`. */
export async function mountVolume(
  objects: readonly KubeObject[],
  volume: ConfigMapVolume,
  dir: string,
): Promise<void> {
  const configMap = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === volume.configMap);
  if (!configMap) throw new Error(`no ConfigMap ${volume.configMap} among the rendered objects`);
  await mountConfigMap(configMap, volume.items, dir);
}

/**
 * A path inside the pod (under `volume.mountPath`) as it sits in the folder the volume was
 * mounted into here; a path outside the mount fails.
 */
export function pathInMount(podPath: string, volume: ConfigMapVolume, dir: string): string {
  // Pod paths are POSIX whatever this machine is.
  const inside = posix.relative(volume.mountPath, podPath);
  if (inside.startsWith("..") || inside === "" || posix.isAbsolute(inside))
    throw new Error(`${podPath} is not a file under the mount ${volume.mountPath}`);
  return join(dir, ...inside.split("/"));
}
