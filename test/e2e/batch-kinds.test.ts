import { describe, expect, it } from "vitest";
import { applyObjects } from "../../src/runtimes/cluster/index.js";
import { renderBatch } from "../../src/runtimes/render/batch/index.js";
import type { AnyFunctionDocument } from "../../src/runtimes/types.js";
import { adminCluster, freshNamespace } from "../helpers/kubernetes.js";
import { fn, hubCode, hubFunction } from "../runtimes/render/batch/fixtures.js";

const uid = "5e8d2c1ab4f34e6f9a0b1c2d3e4f5a6b";
const resources = { requests: { cpu: "500m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } };

/** One realistic function of each batch kind, with the fields sluice renders for it. */
const cases: { title: string; fn: AnyFunctionDocument; code?: { name: string; content: string } }[] = [
  {
    title: "job (hub://batch-score, its code shipped in a ConfigMap)",
    fn: hubFunction("batch-score"),
    code: hubCode("batch-score", "score.mjs"),
  },
  {
    title: "dask",
    fn: fn("dask", "dask-features", {
      image: "daskdev/dask:2024.8.0",
      command: "python",
      args: ["-c", "print('features')"],
      replicas: 3,
      nthreads: 2,
      scheduler_resources: resources,
      worker_resources: resources,
    }),
  },
  {
    title: "mpijob",
    fn: fn("mpijob", "horovod-train", {
      image: "horovod/horovod:0.28.1",
      command: "python",
      args: ["train.py"],
      replicas: 2,
      slots_per_worker: 2,
      mpi_args: ["--bind-to", "none"],
      resources,
      clean_pod_policy: "Running",
    }),
  },
  { title: "spark (hub://spark-pi)", fn: hubFunction("spark-pi") },
  {
    title: "remote-spark",
    fn: fn("remote-spark", "etl-submit", {
      image: "apache/spark:3.5.1",
      spark_master: "spark://spark-master.spark.svc:7077",
      main_class: "org.example.Etl",
      command: "local:///opt/etl/etl.jar",
      spark_conf: { "spark.executor.memory": "2g" },
    }),
  },
];

describe("each batch kind's rendering against the API server and the operators' CRDs", () => {
  for (const { title, fn: doc, code } of cases) {
    it(`accepts a ${title} run as rendered`, async () => {
      const namespace = await freshNamespace();
      const objects = renderBatch(
        doc,
        { uid, params: { rows: 1000, source: "s3://bucket/in" }, ...(code ? { code } : {}) },
        { namespace },
      );
      const applied = await applyObjects(adminCluster(), objects);
      expect(applied.map((a) => a.action)).toEqual(objects.map(() => "created"));
      for (const { live, object } of applied) {
        expect(live.metadata.uid).toBeTruthy();
        // The server kept every field sluice set: nothing was pruned as unknown by a schema.
        expect(live.spec ?? live.data).toMatchObject((object.spec ?? object.data) as object);
      }
    });
  }
});
