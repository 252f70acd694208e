import type { FunctionKind } from "../types.js";
import {
  baseSpec,
  boolean,
  count,
  kubernetesSpec,
  metadata,
  nodeSelector,
  nonEmptyString,
  object,
  openObject,
  patterns,
  positive,
  resources,
  sparkResources,
  string,
  stringList,
  stringMap,
  tolerations,
} from "./parts.js";

type Schema = Record<string, unknown>;

const serviceType: Schema = { enum: ["ClusterIP", "NodePort", "LoadBalancer"] };

const when = (kind: string, then: Schema): Schema => ({
  if: { properties: { kind: { const: kind } }, required: ["kind"] },
  then,
});

const attributes = (properties: Record<string, Schema>, extra: Schema = {}): Schema => ({
  properties: { attributes: { type: "object", properties, ...extra } },
});

/**
 * A Nuclio trigger. Nuclio silently ignores attributes it does not know, so the ones each
 * trigger needs are required here; other attributes pass through to Nuclio unchanged.
 */
const trigger: Schema = {
  ...object(
    {
      kind: { enum: ["http", "kafka-cluster", "nats", "cron"] },
      name: string,
      disabled: boolean,
      numWorkers: positive,
      maxWorkers: positive,
      url: string,
      annotations: stringMap,
      workerAvailabilityTimeoutMilliseconds: count,
      attributes: openObject,
    },
    ["kind"],
  ),
  allOf: [
    when("http", attributes({ port: { type: "integer", minimum: 1, maximum: 65535 }, serviceType })),
    when("kafka-cluster", {
      required: ["attributes"],
      ...attributes(
        {
          brokers: { type: "array", minItems: 1, items: nonEmptyString },
          topics: { type: "array", minItems: 1, items: nonEmptyString },
          consumerGroup: nonEmptyString,
          initialOffset: { enum: ["earliest", "latest"] },
        },
        { required: ["brokers", "topics", "consumerGroup"] },
      ),
    }),
    when("nats", {
      required: ["url", "attributes"],
      properties: {
        url: { type: "string", pattern: patterns.natsUrl },
        attributes: {
          type: "object",
          required: ["topic"],
          properties: { topic: nonEmptyString, queueName: string },
        },
      },
    }),
    when("cron", {
      required: ["attributes"],
      ...attributes(
        { schedule: nonEmptyString, interval: nonEmptyString },
        { anyOf: [{ required: ["schedule"] }, { required: ["interval"] }] },
      ),
    }),
  ],
};

const nuclioSpec: Record<string, Schema> = {
  ...kubernetesSpec,
  nuclio_runtime: nonEmptyString,
  function_handler: nonEmptyString,
  min_replicas: count,
  max_replicas: count,
  /** The average CPU utilisation (percent of requests) Nuclio's autoscaler aims at. */
  target_cpu: { type: "integer", minimum: 1, maximum: 100 },
  triggers: { type: "object", propertyNames: { pattern: patterns.name }, additionalProperties: trigger },
  readiness_timeout: positive,
  service_type: serviceType,
  source: string,
};

const sparkDeps: Schema = object({
  jars: stringList,
  files: stringList,
  pyFiles: stringList,
  packages: stringList,
  excludePackages: stringList,
  repositories: stringList,
});

const sparkConf: Schema = { type: "object", additionalProperties: { type: "string" } };

/** The `spec` of each kind: its own fields beside the ones it shares. */
export const specSchemas: Record<FunctionKind, Schema> = {
  handler: object(baseSpec, ["command"]),
  local: object(baseSpec, ["command"]),
  job: object({ ...kubernetesSpec, backoff_limit: count }),
  nuclio: object(nuclioSpec),
  serving: object({
    ...nuclioSpec,
    graph: openObject,
    parameters: openObject,
    default_class: string,
    load_mode: { enum: ["sync", "async"] },
    track_models: boolean,
    function_refs: { type: "array" },
    error_stream: string,
    graph_initializer: string,
  }),
  dask: object({
    ...kubernetesSpec,
    scheduler_resources: resources,
    worker_resources: resources,
    min_replicas: count,
    max_replicas: count,
    nthreads: positive,
    scheduler_timeout: string,
    service_type: serviceType,
    node_port: { type: "integer", minimum: 30000, maximum: 32767 },
    extra_pip: string,
    remote: boolean,
  }),
  mpijob: object({
    ...kubernetesSpec,
    mpi_args: stringList,
    slots_per_worker: positive,
    launcher_replicas: { const: 1 },
    launcher_resources: resources,
    clean_pod_policy: { enum: ["All", "Running", "None"] },
  }),
  spark: object({
    ...kubernetesSpec,
    driver_resources: sparkResources,
    executor_resources: sparkResources,
    driver_cores: positive,
    executor_cores: positive,
    job_type: { enum: ["Python", "Scala", "Java", "R"] },
    python_version: { enum: ["2", "3"] },
    spark_version: nonEmptyString,
    main_class: nonEmptyString,
    deps: sparkDeps,
    spark_conf: sparkConf,
    hadoop_conf: sparkConf,
    restart_policy: object({
      type: { enum: ["Never", "OnFailure", "Always"] },
      retries: count,
      retry_interval: count,
      submission_retries: count,
      submission_retry_interval: count,
    }),
    dynamic_allocation: object({
      enabled: boolean,
      initialExecutors: count,
      minExecutors: count,
      maxExecutors: count,
    }),
    monitoring: object({ enabled: boolean, exporter_jar: string }),
    driver_node_selector: nodeSelector,
    executor_node_selector: nodeSelector,
    driver_tolerations: tolerations,
    executor_tolerations: tolerations,
    driver_java_options: string,
    executor_java_options: string,
    use_default_image: boolean,
  }),
  "remote-spark": {
    ...object({
      ...kubernetesSpec,
      spark_master: { type: "string", pattern: patterns.sparkMaster },
      provider: { enum: ["iguazio"] },
      main_class: nonEmptyString,
      deps: sparkDeps,
      spark_conf: sparkConf,
    }),
    anyOf: [{ required: ["spark_master"] }, { required: ["provider"] }],
  },
};

/** The JSON Schema of a whole function document of one kind. */
export function documentSchema(kind: FunctionKind): Schema {
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: `sluice function (kind: ${kind})`,
    ...object({ kind: { const: kind }, metadata, spec: specSchemas[kind], status: openObject }, [
      "kind",
      "metadata",
      "spec",
    ]),
  };
}
