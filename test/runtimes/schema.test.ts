import { describe, expect, it } from "vitest";
import {
  documentSchema,
  FunctionInvalidError,
  type FunctionKind,
  functionKinds,
  readFunctionText,
} from "../../src/runtimes/index.js";
import { patternMessages } from "../../src/runtimes/schema/parts.js";

/** A valid document of each kind, using the fields that kind has of its own. */
const valid: Record<FunctionKind, string> = {
  handler: `
kind: handler
metadata: {name: summarize}
spec: {command: ./stats.mjs, default_handler: summarize, env: [{name: MODE, value: fast}]}`,
  local: `
kind: local
metadata: {name: backup, labels: {team: data}}
spec: {command: ./backup.sh, args: [--full], workdir: /tmp}`,
  job: `
kind: job
metadata: {name: trainer, project: churn}
spec:
  image: node:20
  command: ./train.mjs
  resources: {requests: {cpu: 500m, memory: 1Gi}, limits: {cpu: "2", memory: 4Gi, nvidia.com/gpu: 1}}
  volumes: [{name: data, persistentVolumeClaim: {claimName: churn-data}}]
  volume_mounts: [{name: data, mountPath: /data, readOnly: true}]
  node_selector: {node.kubernetes.io/instance-type: g4dn.xlarge}
  tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
  image_pull_policy: IfNotPresent
  service_account: trainer
  priority_class_name: batch-low
  backoff_limit: 2`,
  nuclio: `
kind: nuclio
metadata: {name: enrich}
spec:
  nuclio_runtime: nodejs
  min_replicas: 1
  max_replicas: 4
  build: {base_image: node:20-alpine, commands: [npm ci]}
  triggers:
    http: {kind: http, numWorkers: 4, attributes: {port: 32001}}
    tx: {kind: kafka-cluster, attributes: {brokers: [k:9092], topics: [tx], consumerGroup: enrich}}
    nightly: {kind: cron, attributes: {schedule: "0 2 * * *"}}
    events: {kind: nats, url: "nats://nats:4222", attributes: {topic: events.in}}`,
  serving: `
kind: serving
metadata: {name: fraud}
spec:
  graph: {steps: {parse: {handler: ./steps.mjs#parse}}}
  parameters: {threshold: 0.7}
  load_mode: async
  track_models: false
  min_replicas: 1
  max_replicas: 2`,
  dask: `
kind: dask
metadata: {name: describe}
spec:
  image: daskdev/dask:2024.5.0
  replicas: 4
  min_replicas: 1
  max_replicas: 8
  nthreads: 2
  scheduler_resources: {requests: {cpu: 500m, memory: 1Gi}}
  worker_resources: {limits: {cpu: "2", memory: 8Gi}}
  service_type: NodePort
  node_port: 30800`,
  mpijob: `
kind: mpijob
metadata: {name: horovod}
spec:
  image: horovod/horovod:0.28.1
  command: /examples/train.py
  replicas: 4
  slots_per_worker: 2
  launcher_replicas: 1
  launcher_resources: {requests: {cpu: 500m}}
  resources: {limits: {nvidia.com/gpu: 2}}
  mpi_args: [-x, NCCL_DEBUG=INFO]`,
  spark: `
kind: spark
metadata: {name: etl}
spec:
  image: apache/spark:3.5.1
  command: local:///app/etl.py
  job_type: Python
  python_version: "3"
  spark_version: 3.5.1
  replicas: 3
  driver_resources: {requests: {cpu: "1", memory: 512m}, limits: {cpu: 1200m}}
  executor_resources: {requests: {cpu: "1", memory: 2g}}
  deps: {jars: [local:///jars/delta.jar], pyFiles: [local:///app/libs.zip]}
  spark_conf: {spark.sql.shuffle.partitions: "200"}
  dynamic_allocation: {enabled: true, minExecutors: 1, maxExecutors: 6}`,
  "remote-spark": `
kind: remote-spark
metadata: {name: report}
spec:
  image: bitnami/spark:3.5
  command: ./report.py
  spark_master: spark://spark-master:7077
  spark_conf: {spark.executor.memory: 2g}`,
};

function problems(text: string): string[] {
  try {
    readFunctionText(text.trim(), "fn.yaml");
    return [];
  } catch (error) {
    if (!(error instanceof FunctionInvalidError)) throw error;
    return error.problems.map((p) => `${p.line ?? "?"}: ${p.pointer}: ${p.message}`);
  }
}

describe("each kind's schema accepts a document with that kind's own fields", () => {
  for (const kind of functionKinds) {
    it(kind, () => {
      expect(problems(valid[kind])).toEqual([]);
      expect(readFunctionText(valid[kind].trim(), "fn.yaml").fn.kind).toBe(kind);
    });
  }
});

describe("each kind's schema refuses a bad document, naming the line and the field", () => {
  const cases: [FunctionKind, string, string[]][] = [
    [
      "handler",
      "kind: handler\nmetadata: {name: h}\nspec: {default_handler: run}",
      ['3: /spec: missing required field "command"'],
    ],
    [
      "handler",
      "kind: handler\nmetadata: {name: h}\nspec: {command: ./train.py}",
      [
        '3: /spec/command: a handler function runs a JavaScript or TypeScript module (.mjs, .js, .ts); to run "./train.py" as a program, use kind local',
      ],
    ],
    [
      "local",
      "kind: local\nmetadata: {name: l}\nspec: {command: ./x.sh, args: run}",
      ["3: /spec/args: must be an array"],
    ],
    [
      "job",
      "kind: job\nmetadata: {name: j}\nspec:\n  image_pull_policy: Sometimes\n  replicas: -1",
      [
        "4: /spec/image_pull_policy: must be one of: Always, IfNotPresent, Never",
        "5: /spec/replicas: must be at least 0",
      ],
    ],
    [
      "nuclio",
      "kind: nuclio\nmetadata: {name: n}\nspec:\n  triggers:\n    q: {kind: kafka-cluster, attributes: {brokers: [k:9092]}}",
      [
        '5: /spec/triggers/q/attributes: missing required field "topics"',
        '5: /spec/triggers/q/attributes: missing required field "consumerGroup"',
      ],
    ],
    [
      "nuclio",
      "kind: nuclio\nmetadata: {name: n}\nspec:\n  triggers:\n    a: {kind: http}\n    b: {kind: http}",
      ["6: /spec/triggers/b: Nuclio allows one http trigger; a, b are all http"],
    ],
    [
      "serving",
      "kind: serving\nmetadata: {name: s}\nspec: {load_mode: eager}",
      ["3: /spec/load_mode: must be one of: sync, async"],
    ],
    [
      "dask",
      "kind: dask\nmetadata: {name: d}\nspec: {min_replicas: 5, max_replicas: 2}",
      ["3: /spec/min_replicas: min_replicas 5 is more than max_replicas 2"],
    ],
    [
      "mpijob",
      "kind: mpijob\nmetadata: {name: m}\nspec: {launcher_replicas: 2}",
      ["3: /spec/launcher_replicas: must be 1"],
    ],
    [
      "spark",
      "kind: spark\nmetadata: {name: s}\nspec:\n  driver_resource: {}\n  executor_resources: {requests: {memory: 2Gi}}",
      [
        '4: /spec/driver_resource: unknown field "driver_resource"; did you mean "driver_resources"?',
        '5: /spec/executor_resources/requests/memory: "2Gi" is not a Spark memory size: JVM notation, e.g. 512m or 2g',
      ],
    ],
    [
      "spark",
      "kind: spark\nmetadata: {name: s}\nspec: {job_type: Scala}",
      ["3: /spec/job_type: a Scala job needs spec.main_class"],
    ],
    [
      "remote-spark",
      "kind: remote-spark\nmetadata: {name: r}\nspec: {image: x}",
      ['3: /spec: missing required field "spark_master" or "provider"'],
    ],
    [
      "remote-spark",
      "kind: remote-spark\nmetadata: {name: r}\nspec: {spark_master: http://m:7077}",
      [
        "3: /spec/spark_master: must be a Spark master URL: spark://host:port, k8s://https://host, mesos://..., yarn or local[*]",
      ],
    ],
  ];
  for (const [kind, text, expected] of cases) {
    it(`${kind}: ${expected[0]}`, () => {
      expect(problems(text)).toEqual(expected);
    });
  }
});

describe("every kind shares metadata, env, volumes and the Kubernetes attributes", () => {
  it("names a bad name, an unknown kind and a graph document clearly", () => {
    expect(problems("kind: job\nmetadata: {name: Trainer_1}\nspec: {}")).toEqual([
      "2: /metadata/name: must be a Kubernetes-style name: lowercase letters, digits and '-', starting and ending with a letter or digit",
    ]);
    expect(problems("kind: databricks\nmetadata: {name: d}\nspec: {}")[0]).toBe(
      "1: /kind: must be one of: handler, local, job, nuclio, serving, dask, mpijob, spark, remote-spark",
    );
    expect(problems("kind: Graph\nmetadata: {name: g}\nspec: {}")[0]).toContain("this is a graph document");
  });

  it("refuses a value and a valueFrom together, duplicate env names and mounts of unknown volumes", () => {
    const text = `
kind: job
metadata: {name: j}
spec:
  env:
    - {name: A, value: "1"}
    - {name: A, value: "2"}
  volumes: [{name: data, emptyDir: {}}]
  volume_mounts: [{name: cache, mountPath: /cache}]`;
    expect(problems(text)).toEqual([
      '6: /spec/env/1/name: duplicate env var "A" (first at /spec/env/0)',
      '8: /spec/volume_mounts/0/name: mounts volume "cache", which spec.volumes does not define (volumes: data)',
    ]);
    expect(
      problems("kind: job\nmetadata: {name: j}\nspec:\n  env: [{name: A, value: x, valueFrom: {}}]"),
    ).toEqual(['4: /spec/env/0: use "value" or "valueFrom", not both']);
  });

  it("gives Kubernetes attributes only to the kinds that run on Kubernetes", () => {
    expect(problems("kind: local\nmetadata: {name: l}\nspec: {command: x, resources: {}}")).toEqual([
      '3: /spec/resources: unknown field "resources"',
    ]);
  });

  it("has a message for every pattern it uses", () => {
    const patterns = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === "object") {
        for (const [k, v] of Object.entries(node)) {
          if (k === "pattern" && typeof v === "string") patterns.add(v);
          else walk(v);
        }
      }
    };
    for (const kind of functionKinds) walk(documentSchema(kind));
    for (const pattern of patterns) expect(patternMessages[pattern], pattern).toBeDefined();
  });
});
