import type { Command } from "commander";
import { SluiceError } from "../errors.js";
import type { KubeObject } from "../runtimes/render/index.js";
import { parseDurationFlag } from "./options.js";

interface DeployFlags {
  dryRun?: boolean;
  output: string;
  namespace: string;
  image?: string;
  gatewayImage?: string;
  project?: string;
  wait?: boolean;
  timeout?: string;
  delete?: boolean;
}

/**
 * `sluice deploy <graph|function> [--namespace NS] [--image IMG] [--dry-run] [-o yaml|json]`:
 * renders the objects that run a serving graph (or a nuclio/serving function) and, with
 * --dry-run, prints them in apply order, ready for `kubectl apply -f -`.
 */
export function registerDeploy(program: Command): void {
  program
    .command("deploy")
    .argument("<graph|function>", "graph document, or a nuclio/serving function document")
    .description("render and apply Nuclio functions and the gateway; --dry-run prints them")
    .option("--dry-run", "print the objects (in apply order) instead of applying them")
    .option("-o, --output <format>", "yaml | json (json: a v1 List)", "yaml")
    .option("--namespace <ns>", "Kubernetes namespace", "default")
    .option("--image <image>", "sluice's Nuclio runtime image (default: $SLUICE_IMAGE)")
    .option("--gateway-image <image>", "the image the gateway runs `sluice serve` from (default: --image)")
    .option("--project <name>", "the Nuclio project (default: the graph's name)")
    .option("--wait", "wait until the objects are ready")
    .option("--timeout <duration>", "with --wait: how long to wait (e.g. 5m)")
    .option("--delete", "remove what this graph deployed")
    .action(async (file: string, flags: DeployFlags) => {
      if (flags.output !== "yaml" && flags.output !== "json") {
        throw new SluiceError("SLUICE_ERR_USAGE", `-o must be yaml or json, got "${flags.output}"`);
      }
      if (flags.timeout !== undefined) parseDurationFlag(flags.timeout, "--timeout");
      const image = flags.image ?? process.env.SLUICE_IMAGE;
      const { renderDeployable } = await import("../runtimes/render/index.js");
      const objects = await renderDeployable(file, {
        namespace: flags.namespace,
        ...(image ? { image } : {}),
        ...(flags.gatewayImage ? { gatewayImage: flags.gatewayImage } : {}),
        ...(flags.project ? { project: flags.project } : {}),
      });
      if (!flags.dryRun) {
        throw new SluiceError("SLUICE_ERR_NOT_BUILT", "applying to a cluster is not built yet", {
          hint: "add --dry-run to print the objects (e.g. for `kubectl apply -f -`)",
        });
      }
      process.stdout.write(await formatObjects(objects, flags.output));
    });
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
