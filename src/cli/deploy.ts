import type { Command } from "commander";
import { SluiceError } from "../errors.js";
import type { KubeObject } from "../runtimes/render/index.js";
import { parseDurationFlag } from "./options.js";
import { Progress } from "./progress.js";

interface DeployFlags {
  dryRun?: boolean;
  output: string;
  namespace?: string;
  kubeconfig?: string;
  context?: string;
  image?: string;
  gatewayImage?: string;
  project?: string;
  wait?: boolean;
  timeout?: string;
  delete?: boolean;
  gatewayOnly?: boolean;
}

/** How long `--wait` follows the objects when `--timeout` does not say. */
const defaultWaitMs = 5 * 60_000;

/**
 * `sluice deploy <graph|function> [--namespace NS] [--image IMG] [--dry-run] [-o yaml|json]
 * [--wait] [--timeout D] [--delete] [--gateway-only]`: renders the objects that run a serving
 * graph (or a nuclio/serving function) and server-side applies them, skipping the unchanged ones and
 * pruning what the graph no longer renders; `--wait` follows them until ready. With
 * --dry-run it prints them in apply order instead, ready for `kubectl apply -f -`.
 */
export function registerDeploy(program: Command): void {
  program
    .command("deploy")
    .argument("<graph|function>", "graph document, or a nuclio/serving function document")
    .description("render and apply Nuclio functions and the gateway; --dry-run prints them")
    .option("--dry-run", "print the objects (in apply order) instead of applying them")
    .option("-o, --output <format>", "yaml | json (json: a v1 List)", "yaml")
    .option(
      "--namespace <ns>",
      "Kubernetes namespace (default: the kubeconfig context's; default with --dry-run)",
    )
    .option("--kubeconfig <file>", "the kubeconfig (default: $KUBECONFIG, ~/.kube/config, in-cluster)")
    .option("--context <name>", "a context of the kubeconfig")
    .option("--image <image>", "sluice's Nuclio runtime image (default: $SLUICE_IMAGE)")
    .option("--gateway-image <image>", "the image the gateway runs `sluice serve` from (default: --image)")
    .option("--project <name>", "the Nuclio project (default: the graph's name)")
    .option("--wait", "follow the objects until ready; exit 3 naming the first that fails")
    .option("--timeout <duration>", "with --wait: how long to wait (default 5m)")
    .option("--delete", "remove what this graph deployed")
    .option(
      "--gateway-only",
      "only the gateway: sluice serve in a Deployment runs every step, no Nuclio (deploy/base's objects)",
    )
    .action(async (file: string, flags: DeployFlags) => {
      if (flags.output !== "yaml" && flags.output !== "json") {
        throw new SluiceError("SLUICE_ERR_USAGE", `-o must be yaml or json, got "${flags.output}"`);
      }
      const timeoutMs =
        flags.timeout === undefined ? defaultWaitMs : parseDurationFlag(flags.timeout, "--timeout");
      // Only --delete may go without an image: it selects what to remove by the graph's labels.
      const image =
        flags.image ?? process.env.SLUICE_IMAGE ?? (flags.delete ? "unused-by-delete" : undefined);
      const { renderDeployable } = await import("../runtimes/render/index.js");
      const cluster = flags.dryRun ? undefined : await connect(flags);
      const namespace = flags.namespace ?? cluster?.namespace ?? "default";
      const objects = await renderDeployable(file, {
        namespace,
        ...(image ? { image } : {}),
        ...(flags.gatewayImage ? { gatewayImage: flags.gatewayImage } : {}),
        ...(flags.project ? { project: flags.project } : {}),
        ...(flags.gatewayOnly ? { gatewayOnly: true } : {}),
      });
      if (!cluster) {
        process.stdout.write(await formatObjects(objects, flags.output));
        return;
      }
      await applyToCluster(cluster, objects, namespace, flags, timeoutMs);
    });
}

type Cluster = import("../runtimes/cluster/index.js").Cluster;

async function connect(flags: DeployFlags): Promise<Cluster> {
  // Loaded only when applying: the Kubernetes client is the heaviest import of the command line.
  const { Cluster } = await import("../runtimes/cluster/index.js");
  return Cluster.connect({
    ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
    ...(flags.context ? { context: flags.context } : {}),
  });
}

async function applyToCluster(
  cluster: Cluster,
  objects: KubeObject[],
  namespace: string,
  flags: DeployFlags,
  timeoutMs: number,
): Promise<void> {
  const { deploy, undeploy, refText } = await import("../runtimes/cluster/index.js");
  const progress = new Progress();
  const key = (o: KubeObject) => `${o.kind}/${o.metadata.name}`;
  const onProgress = ({ object, action }: { object: KubeObject; action: string }) =>
    progress.update(key(object), `${refText(object)} ${action}`);
  const what = objects[0]?.metadata.labels?.["sluice.io/graph"] ?? objects[0]?.metadata.name ?? "";
  if (flags.delete) {
    const removed = await undeploy(cluster, objects, { namespace, onProgress });
    progress.note(`deleted ${removed.length} object(s) of ${what} from ${namespace}`);
    return;
  }
  const result = await deploy(cluster, objects, {
    namespace,
    onProgress,
    ...(flags.wait
      ? {
          wait: {
            timeoutMs,
            onChange: ({ object, readiness }) =>
              progress.update(
                key(object),
                `${refText(object)} ${readiness.state === "ready" ? "ready" : readiness.reason}`,
              ),
          },
        }
      : {}),
  });
  const counts = new Map<string, number>();
  for (const { action } of result.applied) counts.set(action, (counts.get(action) ?? 0) + 1);
  if (result.pruned.length > 0) counts.set("pruned", result.pruned.length);
  const summary = [...counts].map(([action, n]) => `${n} ${action}`).join(", ");
  progress.note(`deployed ${what} to ${namespace}: ${summary}`);
  const failed = result.waited?.find((r) => r.readiness.state === "failed");
  if (failed) {
    throw new SluiceError(
      "SLUICE_ERR_DEPLOY_NOT_READY",
      `${refText(failed.object)} is not ready: ${failed.readiness.reason}`,
      {
        hint: "its status (kubectl get -o yaml) and its controller's events say more",
      },
    );
  }
  const pending = result.waited?.filter((r) => r.readiness.state === "pending") ?? [];
  if (pending.length > 0) {
    const list = pending.map((r) => `${refText(r.object)} (${r.readiness.reason})`).join(", ");
    throw new SluiceError(
      "SLUICE_ERR_DEPLOY_TIMEOUT",
      `not ready after ${Math.round(timeoutMs / 1000)} s: ${list}`,
      {
        hint: "give --timeout more time, or check that Nuclio's controller runs in the cluster",
      },
    );
  }
}

/** A YAML multi-document stream (`---` between objects), or a JSON `v1 List`. */
export async function formatObjects(
  objects: readonly KubeObject[],
  format: "yaml" | "json",
): Promise<string> {
  if (format === "json") {
    return `${JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }, null, 2)}\n`;
  }
  const { stringify } = await import("yaml");
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join("---\n");
}
