/**
 * The control plane against the Kubernetes test bed (test/infra/k8s): how long the bed takes
 * to start and what it holds, and `sluice deploy` of a generated 100-step graph (100 functions
 * and their ConfigMaps, plus the gateway) against a bare loop of server-side applies of the
 * same objects. The bar: 100 functions applied in under 10 s.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cluster, type ClusterObject, deploy } from "../../src/runtimes/cluster/index.js";
import { renderGraph } from "../../src/runtimes/render/index.js";
import { startK8s } from "../../test/infra/k8s/bed.js";
import { median } from "../lib/measure.js";
import type { Scenario } from "../lib/scenario.js";
import { generatedGraph } from "./render.js";

/** Resident memory of a process in MB, from /proc. */
function rssMb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

async function withBed<T>(
  work: (bed: Awaited<ReturnType<typeof startK8s>>, dir: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "sluice-bench-k8s-"));
  const bed = await startK8s(dir, (line) => process.stderr.write(`${line}\n`));
  try {
    return await work(bed, dir);
  } finally {
    await bed.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function seconds(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

export const controlPlaneScenarios: Scenario[] = [
  {
    name: "test bed: Kubernetes control plane start-up (etcd, apiserver, controllers, scheduler, kwok, CRDs)",
    unit: "s",
    bar: {},
    async run() {
      const starts: number[] = [];
      const memory: number[] = [];
      for (let round = 0; round < 3; round++) {
        const dir = await mkdtemp(join(tmpdir(), "sluice-bench-k8s-"));
        const started = performance.now();
        const bed = await startK8s(dir, () => {});
        starts.push((performance.now() - started) / 1000);
        memory.push(bed.services.reduce((sum, s) => sum + rssMb(s.child.pid), 0));
        await bed.stop();
        await rm(dir, { recursive: true, force: true });
      }
      return {
        subject: median(starts),
        baseline: Number.NaN,
        ratio: Number.NaN,
        more: [
          {
            name: "test bed: resident memory of its six processes when ready",
            unit: "MB",
            bar: {},
            subject: median(memory),
            baseline: Number.NaN,
            ratio: Number.NaN,
          },
        ],
      };
    },
  },
  {
    name: "deploy: apply a 100-step graph (100 functions + gateway) vs a bare loop of server-side applies",
    unit: "s",
    bar: { subjectBelow: 10 },
    async run() {
      return withBed(async (bed, dir) => {
        await writeFile(join(dir, "graph.yaml"), generatedGraph(100));
        await writeFile(join(dir, "steps.mjs"), "export const a = (b) => b;\nexport const b = (b) => b;\n");
        const admin = Cluster.connect({ kubeconfig: bed.adminKubeconfig });
        const sluiceRuns: number[] = [];
        const bareRuns: number[] = [];
        const unchangedRuns: number[] = [];
        let functions = 0;
        for (let round = 0; round < 3; round++) {
          // Each round in fresh namespaces, alternating which goes first.
          const [ours, bare] = [`bench-sluice-${round}`, `bench-bare-${round}`];
          for (const name of [ours, bare])
            await admin.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
          const objects = await renderGraph(join(dir, "graph.yaml"), {
            namespace: ours,
            image: "sluice/nuclio:bench",
          });
          const bareObjects = (await renderGraph(join(dir, "graph.yaml"), {
            namespace: bare,
            image: "sluice/nuclio:bench",
          })) as ClusterObject[];
          functions = objects.filter((o) => o.kind === "NuclioFunction").length;
          const runSluice = async () =>
            sluiceRuns.push(await seconds(() => deploy(admin, objects, { namespace: ours })));
          const runBare = async () =>
            bareRuns.push(
              await seconds(async () => {
                for (const object of bareObjects) await admin.apply(object);
              }),
            );
          if (round % 2 === 0) {
            await runSluice();
            await runBare();
          } else {
            await runBare();
            await runSluice();
          }
          unchangedRuns.push(await seconds(() => deploy(admin, objects, { namespace: ours })));
        }
        const subject = median(sluiceRuns);
        const baseline = median(bareRuns);
        process.stderr.write(`deploy bench: ${functions} NuclioFunctions per graph\n`);
        return {
          subject,
          baseline,
          ratio: subject / baseline,
          more: [
            {
              name: "deploy: redeploy of the unchanged 100-step graph (no writes)",
              unit: "s",
              bar: {},
              subject: median(unchangedRuns),
              baseline,
              ratio: median(unchangedRuns) / baseline,
            },
          ],
        };
      });
    },
  },
];
