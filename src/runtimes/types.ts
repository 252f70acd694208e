/**
 * The function document: `{kind, metadata, spec, status}`, the shape of MLRun's function.yaml.
 * Field names stay MLRun's (snake_case in spec) and Kubernetes' (camelCase inside volumes,
 * env sources and tolerations), so an exported MLRun function reads the same here.
 */

export const functionKinds = [
  "handler",
  "local",
  "job",
  "nuclio",
  "serving",
  "dask",
  "mpijob",
  "spark",
  "remote-spark",
] as const;

export type FunctionKind = (typeof functionKinds)[number];

/** Kinds that run on Kubernetes, and so carry resources, volumes, node selection... */
export const kubernetesKinds: ReadonlySet<FunctionKind> = new Set([
  "job",
  "nuclio",
  "serving",
  "dask",
  "mpijob",
  "spark",
  "remote-spark",
]);

export function isFunctionKind(value: unknown): value is FunctionKind {
  return typeof value === "string" && (functionKinds as readonly string[]).includes(value);
}

/** A Kubernetes quantity: `500m`, `2`, `512Mi`, `2Gi` (YAML numbers are accepted too). */
export type Quantity = string | number;

export interface ResourceRequirements {
  limits?: Record<string, Quantity>;
  requests?: Record<string, Quantity>;
}

export interface KeyRef {
  name: string;
  key: string;
  optional?: boolean;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: KeyRef;
    configMapKeyRef?: KeyRef;
    fieldRef?: { fieldPath: string; apiVersion?: string };
    resourceFieldRef?: { resource: string; containerName?: string; divisor?: Quantity };
  };
}

export interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

/** A Kubernetes Volume: a name and exactly one source. */
export interface Volume {
  name: string;
  secret?: { secretName: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  configMap?: { name: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  emptyDir?: { medium?: string; sizeLimit?: Quantity };
  hostPath?: { path: string; type?: string };
  nfs?: { server: string; path: string; readOnly?: boolean };
  flexVolume?: Record<string, unknown>;
  csi?: Record<string, unknown>;
  projected?: Record<string, unknown>;
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  subPath?: string;
  readOnly?: boolean;
}

export interface Toleration {
  key?: string;
  operator?: "Exists" | "Equal";
  value?: string;
  effect?: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
  tolerationSeconds?: number;
}

/** How the code gets into the image, or into the document itself (`functionSourceCode`, base64). */
export interface BuildSpec {
  image?: string;
  base_image?: string;
  commands?: string[];
  requirements?: string[];
  functionSourceCode?: string;
  code_origin?: string;
  origin_filename?: string;
  source?: string;
  extra?: string;
}

/** Fields every kind has. */
export interface BaseSpec {
  description?: string;
  /** The module (handler), script or program (local, job...) the function runs. */
  command?: string;
  args?: string[];
  workdir?: string;
  /** The exported function to call (handler kind; MLRun's default handler). */
  default_handler?: string;
  env?: EnvVar[];
  build?: BuildSpec;
}

/** The common Kubernetes attributes (MLRun's KubeResourceSpec). */
export interface KubernetesSpec extends BaseSpec {
  image?: string;
  volumes?: Volume[];
  volume_mounts?: VolumeMount[];
  resources?: ResourceRequirements;
  replicas?: number;
  image_pull_policy?: "Always" | "IfNotPresent" | "Never";
  service_account?: string;
  image_pull_secret?: string;
  node_name?: string;
  node_selector?: Record<string, string>;
  affinity?: Record<string, unknown>;
  tolerations?: Toleration[];
  priority_class_name?: string;
  security_context?: Record<string, unknown>;
}

export interface HandlerSpec extends BaseSpec {
  command: string;
}

export interface LocalSpec extends BaseSpec {
  command: string;
}

export interface JobSpec extends KubernetesSpec {
  /** Retries of the Kubernetes Job before it is marked failed. */
  backoff_limit?: number;
}

export type NuclioTriggerKind = "http" | "kafka-cluster" | "nats" | "cron";

/** A Nuclio trigger, as Nuclio writes it (camelCase), keyed by its name in `triggers`. */
export interface NuclioTrigger {
  kind: NuclioTriggerKind;
  name?: string;
  disabled?: boolean;
  numWorkers?: number;
  maxWorkers?: number;
  url?: string;
  annotations?: Record<string, string>;
  workerAvailabilityTimeoutMilliseconds?: number;
  attributes?: Record<string, unknown>;
}

export interface NuclioSpec extends KubernetesSpec {
  /** Nuclio's runtime, e.g. `nodejs` (sluice's default) or `python:3.11`. */
  nuclio_runtime?: string;
  /** `file:export` of the Nuclio handler. */
  function_handler?: string;
  min_replicas?: number;
  max_replicas?: number;
  /** The average CPU utilisation (percent of requests) the autoscaler aims at (Nuclio's `targetCPU`). */
  target_cpu?: number;
  triggers?: Record<string, NuclioTrigger>;
  readiness_timeout?: number;
  service_type?: "ClusterIP" | "NodePort" | "LoadBalancer";
  source?: string;
}

export interface ServingSpec extends NuclioSpec {
  /** The serving graph (sluice's graph spec or MLRun's `spec.graph`); checked when served or deployed. */
  graph?: Record<string, unknown>;
  parameters?: Record<string, unknown>;
  default_class?: string;
  load_mode?: "sync" | "async";
  track_models?: boolean;
  function_refs?: unknown[];
  error_stream?: string;
  graph_initializer?: string;
}

export interface DaskSpec extends KubernetesSpec {
  scheduler_resources?: ResourceRequirements;
  worker_resources?: ResourceRequirements;
  min_replicas?: number;
  max_replicas?: number;
  nthreads?: number;
  scheduler_timeout?: string;
  service_type?: "ClusterIP" | "NodePort" | "LoadBalancer";
  node_port?: number;
  extra_pip?: string;
  remote?: boolean;
}

export interface MpiJobSpec extends KubernetesSpec {
  /** Extra `mpirun` arguments. */
  mpi_args?: string[];
  slots_per_worker?: number;
  /** The MPI operator runs exactly one launcher; the field is there to say so. */
  launcher_replicas?: 1;
  launcher_resources?: ResourceRequirements;
  clean_pod_policy?: "All" | "Running" | "None";
}

/** Spark dependencies, named as the Spark operator names them. */
export interface SparkDeps {
  jars?: string[];
  files?: string[];
  pyFiles?: string[];
  packages?: string[];
  excludePackages?: string[];
  repositories?: string[];
}

export interface SparkSpec extends KubernetesSpec {
  driver_resources?: ResourceRequirements;
  executor_resources?: ResourceRequirements;
  driver_cores?: number;
  executor_cores?: number;
  job_type?: "Python" | "Scala" | "Java" | "R";
  python_version?: "2" | "3";
  spark_version?: string;
  main_class?: string;
  deps?: SparkDeps;
  spark_conf?: Record<string, string>;
  hadoop_conf?: Record<string, string>;
  restart_policy?: {
    type?: "Never" | "OnFailure" | "Always";
    retries?: number;
    retry_interval?: number;
    submission_retries?: number;
    submission_retry_interval?: number;
  };
  dynamic_allocation?: {
    enabled?: boolean;
    initialExecutors?: number;
    minExecutors?: number;
    maxExecutors?: number;
  };
  monitoring?: { enabled?: boolean; exporter_jar?: string };
  driver_node_selector?: Record<string, string>;
  executor_node_selector?: Record<string, string>;
  driver_tolerations?: Toleration[];
  executor_tolerations?: Toleration[];
  driver_java_options?: string;
  executor_java_options?: string;
  use_default_image?: boolean;
}

export interface RemoteSparkSpec extends KubernetesSpec {
  /** `spark://host:7077`, `k8s://https://...`, `yarn` or `local[*]`. */
  spark_master?: string;
  /** MLRun's managed Spark service provider; the master then comes from the provider. */
  provider?: "iguazio";
  main_class?: string;
  deps?: SparkDeps;
  spark_conf?: Record<string, string>;
}

export interface SpecByKind {
  handler: HandlerSpec;
  local: LocalSpec;
  job: JobSpec;
  nuclio: NuclioSpec;
  serving: ServingSpec;
  dask: DaskSpec;
  mpijob: MpiJobSpec;
  spark: SparkSpec;
  "remote-spark": RemoteSparkSpec;
}

export interface FunctionMetadata {
  /** A Kubernetes-style name: lowercase letters, digits and '-'. */
  name: string;
  /** Defaults to `default`. */
  project?: string;
  /** Not part of the content: a pointer to a version, kept by the store. */
  tag?: string;
  /** Not part of the content: the SHA-1 of it. */
  hash?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  categories?: string[];
  updated?: string;
  created?: string;
}

export interface FunctionDocument<K extends FunctionKind = FunctionKind> {
  kind: K;
  metadata: FunctionMetadata;
  spec: SpecByKind[K];
  /** What a deployment or build reported; never part of the content hash. */
  status?: Record<string, unknown>;
}

/** A function document of any kind, narrowed by its `kind`. */
export type AnyFunctionDocument = { [K in FunctionKind]: FunctionDocument<K> }[FunctionKind];

export const defaultProject = "default";
export const defaultTag = "latest";
