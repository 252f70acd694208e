import { jvmSizePattern, quantityPattern } from "../quantity.js";

/**
 * The pieces the per-kind schemas are built from: metadata, env, volumes, resources and the
 * other Kubernetes attributes. Plain JSON Schema (draft 2020-12) objects, so each kind's schema
 * can be printed or handed to an editor as is.
 */

type Schema = Record<string, unknown>;

export const patterns = {
  name: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
  tag: "^[A-Za-z0-9_][A-Za-z0-9_.-]*$",
  hash: "^[0-9a-f]{40}$",
  envName: "^[-._a-zA-Z][-._a-zA-Z0-9]*$",
  quantity: quantityPattern,
  jvmSize: jvmSizePattern,
  absolutePath: "^/",
  resourceName: "^(cpu|memory|ephemeral-storage|hugepages-[A-Za-z0-9]+|[A-Za-z0-9.-]+/[A-Za-z0-9._-]+)$",
  labelKey:
    "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$",
  labelValue: "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$",
  sparkMaster: "^(spark://.+|k8s://.+|mesos://.+|yarn|local(\\[[0-9*]+\\])?)$",
  natsUrl: "^nats://",
  identifier: "^[A-Za-z_$][A-Za-z0-9_$]*$",
} as const;

/** Friendly messages for the patterns above; a test checks that each pattern has one. */
export const patternMessages: Readonly<Record<string, string>> = {
  [patterns.name]:
    "must be a Kubernetes-style name: lowercase letters, digits and '-', starting and ending with a letter or digit",
  [patterns.tag]: "must be a tag: letters, digits, '_', '.' and '-', not starting with '.' or '-'",
  [patterns.hash]: "must be a SHA-1 hash (40 lowercase hex digits)",
  [patterns.envName]:
    "must be an environment variable name: letters, digits, '_', '-' and '.', not starting with a digit",
  [patterns.quantity]: "must be a Kubernetes quantity such as 500m, 2, 512Mi or 2Gi",
  [patterns.jvmSize]: "must be a Spark memory size in JVM notation, such as 512m or 2g",
  [patterns.absolutePath]: "must be an absolute path (starting with /)",
  [patterns.resourceName]:
    "must be a resource name: cpu, memory, ephemeral-storage, hugepages-<size> or an extended resource such as nvidia.com/gpu",
  [patterns.labelKey]: "must be a Kubernetes label key: [prefix/]name of letters, digits, '-', '_' and '.'",
  [patterns.labelValue]:
    "must be a Kubernetes label value: at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
  [patterns.sparkMaster]:
    "must be a Spark master URL: spark://host:port, k8s://https://host, mesos://..., yarn or local[*]",
  [patterns.natsUrl]: "must be a nats:// URL",
  [patterns.identifier]: "must be the name of an exported function (letters, digits, '_' and '$')",
};

/** A closed object: unknown fields are reported, so typos do not pass silently. */
export function object(properties: Record<string, Schema>, required: string[] = []): Schema {
  return {
    type: "object",
    additionalProperties: false,
    properties,
    ...(required.length > 0 ? { required } : {}),
  };
}

export const string: Schema = { type: "string" };
export const nonEmptyString: Schema = { type: "string", minLength: 1 };
export const boolean: Schema = { type: "boolean" };
export const count: Schema = { type: "integer", minimum: 0 };
export const positive: Schema = { type: "integer", minimum: 1 };
export const stringList: Schema = { type: "array", items: string };
export const stringMap: Schema = { type: "object", additionalProperties: string };
export const openObject: Schema = { type: "object" };

export const name: Schema = { type: "string", pattern: patterns.name, maxLength: 63 };
export const quantity: Schema = { type: ["string", "number"], pattern: patterns.quantity, minimum: 0 };

const quantities: Schema = {
  type: "object",
  propertyNames: { pattern: patterns.resourceName },
  additionalProperties: quantity,
};

/** `{limits, requests}`; amounts and requests ≤ limits are checked beyond the schema (quantity.ts). */
export const resources: Schema = object({ limits: quantities, requests: quantities });

const sparkQuantities: Schema = {
  ...quantities,
  properties: { memory: { type: ["string", "number"], pattern: patterns.jvmSize, minimum: 0 } },
};

/** A Spark driver's or executors' resources: memory in JVM notation (`512m`, `2g`), the rest as Kubernetes. */
export const sparkResources: Schema = object({ limits: sparkQuantities, requests: sparkQuantities });

const keyRef: Schema = object({ name: nonEmptyString, key: nonEmptyString, optional: boolean }, [
  "name",
  "key",
]);

export const envVar: Schema = {
  ...object(
    {
      name: { type: "string", pattern: patterns.envName },
      value: string,
      valueFrom: object({
        secretKeyRef: keyRef,
        configMapKeyRef: keyRef,
        fieldRef: object({ fieldPath: nonEmptyString, apiVersion: string }, ["fieldPath"]),
        resourceFieldRef: object({ resource: nonEmptyString, containerName: string, divisor: quantity }, [
          "resource",
        ]),
      }),
    },
    ["name"],
  ),
  not: { required: ["value", "valueFrom"] },
};

const keyToPath: Schema = object({ key: nonEmptyString, path: nonEmptyString, mode: count }, ["key", "path"]);
const items: Schema = { type: "array", items: keyToPath };

/** A Kubernetes Volume; "exactly one source" is checked beyond the schema. */
export const volume: Schema = object(
  {
    name,
    secret: object({ secretName: nonEmptyString, items, defaultMode: count, optional: boolean }, [
      "secretName",
    ]),
    configMap: object({ name: nonEmptyString, items, defaultMode: count, optional: boolean }, ["name"]),
    persistentVolumeClaim: object({ claimName: nonEmptyString, readOnly: boolean }, ["claimName"]),
    emptyDir: object({ medium: string, sizeLimit: quantity }),
    hostPath: object({ path: { type: "string", pattern: patterns.absolutePath }, type: string }, ["path"]),
    nfs: object({ server: nonEmptyString, path: nonEmptyString, readOnly: boolean }, ["server", "path"]),
    flexVolume: openObject,
    csi: openObject,
    projected: openObject,
  },
  ["name"],
);

export const volumeSources = [
  "secret",
  "configMap",
  "persistentVolumeClaim",
  "emptyDir",
  "hostPath",
  "nfs",
  "flexVolume",
  "csi",
  "projected",
] as const;

export const volumeMount: Schema = object(
  {
    name,
    mountPath: { type: "string", pattern: patterns.absolutePath },
    subPath: string,
    readOnly: boolean,
  },
  ["name", "mountPath"],
);

export const toleration: Schema = object({
  key: string,
  operator: { enum: ["Exists", "Equal"] },
  value: string,
  effect: { enum: ["NoSchedule", "PreferNoSchedule", "NoExecute"] },
  tolerationSeconds: { type: "integer" },
});

export const tolerations: Schema = { type: "array", items: toleration };

export const nodeSelector: Schema = {
  type: "object",
  propertyNames: { pattern: patterns.labelKey },
  additionalProperties: { type: "string", pattern: patterns.labelValue, maxLength: 63 },
};

export const build: Schema = object({
  image: string,
  base_image: string,
  commands: stringList,
  requirements: stringList,
  functionSourceCode: { type: "string", contentEncoding: "base64" },
  code_origin: string,
  origin_filename: string,
  source: string,
  extra: string,
});

export const metadata: Schema = object(
  {
    name,
    project: name,
    tag: { type: "string", pattern: patterns.tag, maxLength: 128 },
    hash: { type: "string", pattern: patterns.hash },
    labels: nodeSelector,
    annotations: stringMap,
    categories: stringList,
    updated: string,
    created: string,
  },
  ["name"],
);

/** Fields every kind has. */
export const baseSpec: Record<string, Schema> = {
  description: string,
  command: nonEmptyString,
  args: stringList,
  workdir: string,
  default_handler: { type: "string", pattern: patterns.identifier },
  env: { type: "array", items: envVar },
  build,
};

/** The common Kubernetes attributes (MLRun's KubeResourceSpec). */
export const kubernetesSpec: Record<string, Schema> = {
  ...baseSpec,
  image: string,
  volumes: { type: "array", items: volume },
  volume_mounts: { type: "array", items: volumeMount },
  resources,
  replicas: count,
  image_pull_policy: { enum: ["Always", "IfNotPresent", "Never"] },
  service_account: string,
  image_pull_secret: string,
  node_name: string,
  node_selector: nodeSelector,
  affinity: openObject,
  tolerations,
  priority_class_name: string,
  security_context: openObject,
};
