import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { parse, stringify } from "yaml";
import {
  type CompiledGraph,
  type GraphDocument,
  loadGraphText,
  parseDuration,
} from "../../../src/graph/index.js";
import { entryHandlerDir, type KubeObject, renderGraph } from "../../../src/runtimes/render/index.js";
import {
  type ConfigMapVolume,
  configMapVolumes,
  mountVolume,
  pathInMount,
} from "../../helpers/config-map-mount.js";
import { memoryLogger } from "../../helpers/graphs.js";
import { httpTrigger, NuclioHarness } from "../../infra/nuclio/index.js";
import { entryFile } from "./entry-harness.js";

/** What `sluice deploy --dry-run` renders, run here: its functions under harnesses and the gateway's graph. */
export interface DeployedGraph {
  /** The gateway's copy of the graph, its `nuclio.url`s pointing at the harnesses; not started. */
  gateway: CompiledGraph;
  /** Each rendered function's SLUICE_FUNCTION. */
  functions: string[];
  harnesses: NuclioHarness[];
}

type Closers = (() => Promise<unknown>)[];

const renderOptions = { namespace: "placement", image: "registry.example/sluice-nuclio:test" };

/** A folder for one pod's mount; removed with the placement. */
async function mountDir(closers: Closers, volume: ConfigMapVolume, objects: readonly KubeObject[]) {
  const dir = await mkdtemp(join(tmpdir(), "sluice-pod-"));
  closers.push(() => rm(dir, { recursive: true, force: true }));
  await mountVolume(objects, volume, dir);
  return dir;
}

function onlyVolume(object: KubeObject): ConfigMapVolume {
  const volumes = configMapVolumes(object);
  if (volumes.length !== 1)
    throw new Error(
      `${object.metadata.name} mounts ${volumes.length} ConfigMaps where the renderer mounts one`,
    );
  return volumes[0] as ConfigMapVolume;
}

/**
 * Starts one rendered NuclioFunction as Nuclio would: its ConfigMap laid out as the volume
 * says, its env as written (SLUICE_GRAPH moved from the mount path to that folder), its
 * `spec.handler` run by sluice's built entry under the harness with the rendered
 * `eventTimeout`, and an HTTP front on a loopback port. Returns the front's URL.
 */
async function startFunction(
  fn: KubeObject,
  objects: readonly KubeObject[],
  closers: Closers,
  harnesses: NuclioHarness[],
) {
  const spec = fn.spec as {
    runtime: string;
    handler: string;
    env: { name: string; value?: string }[];
    eventTimeout: string;
  };
  const [handlerFile, handlerName] = spec.handler.split(":");
  // Nuclio's Node runtime requires `<NUCLIO_HANDLER_DIR>/<file>` as written (no extension added):
  // the rendered directory is the image's built entry folder, which here is dist/.
  const handlerDir = spec.env.find((e) => e.name === "NUCLIO_HANDLER_DIR")?.value;
  if (
    spec.runtime !== "nodejs" ||
    handlerDir !== entryHandlerDir ||
    handlerFile !== basename(entryFile) ||
    !handlerName
  )
    throw new Error(
      `${fn.metadata.name} runs ${spec.runtime} ${handlerDir}/${spec.handler}, not sluice's entry ${entryFile}`,
    );
  const volume = onlyVolume(fn);
  const dir = await mountDir(closers, volume, objects);
  const env: Record<string, string> = {};
  for (const { name, value } of spec.env) {
    if (value === undefined)
      throw new Error(`${fn.metadata.name}: env ${name} has no value to run with here`);
    env[name] = value;
  }
  env.SLUICE_GRAPH = pathInMount(env.SLUICE_GRAPH ?? "", volume, dir);
  const eventTimeoutMs = parseDuration(spec.eventTimeout);
  if (eventTimeoutMs === undefined) throw new Error(`${fn.metadata.name}: eventTimeout ${spec.eventTimeout}`);
  const harness = await NuclioHarness.start({ handlerFile: entryFile, handlerName, env, eventTimeoutMs });
  closers.push(() => harness.close());
  harnesses.push(harness);
  const front = await httpTrigger(harness);
  closers.push(() => front.close());
  return { name: env.SLUICE_FUNCTION ?? "", url: front.url };
}

/**
 * Points every `nuclio.url` of the gateway's graph that names a rendered function's Service
 * (`http://nuclio-<graph>-<function>:8080/`, maybe with a path after it) at the harness
 * running that function. A URL naming no rendered function fails: the gateway would call
 * nothing in the cluster either.
 */
function pointAtHarnesses(document: GraphDocument, harnessUrls: ReadonlyMap<string, string>): GraphDocument {
  const steps: Record<string, unknown> = {};
  for (const [name, step] of Object.entries(document.spec.steps ?? {})) {
    const call = (step as { nuclio?: { url?: string } }).nuclio;
    if (call?.url === undefined) {
      steps[name] = step;
      continue;
    }
    const service = [...harnessUrls.keys()].find((s) => call.url?.startsWith(s));
    if (service === undefined)
      throw new Error(`step ${name} calls ${call.url}, which no rendered function serves`);
    const url = `${harnessUrls.get(service)}${call.url.slice(service.length)}`;
    steps[name] = { ...step, nuclio: { ...call, url } };
  }
  return { ...document, spec: { ...document.spec, steps: steps as GraphDocument["spec"]["steps"] } };
}

/**
 * Renders a graph file as `sluice deploy --dry-run` prints it and runs exactly those objects:
 * each NuclioFunction under its own Nuclio harness with sluice's entry, and the gateway's
 * graph, read from its ConfigMap as the Deployment mounts it, calling those harnesses.
 * Everything started is closed by `closers` (run in reverse).
 */
export async function deployRendered(file: string, closers: Closers): Promise<DeployedGraph> {
  if (!existsSync(entryFile)) throw new Error(`${entryFile} is missing: run \`npm run build\` first`);
  const objects = await renderGraph(file, renderOptions);
  const harnesses: NuclioHarness[] = [];
  const functions: string[] = [];
  const harnessUrls = new Map<string, string>();
  for (const fn of objects.filter((o) => o.kind === "NuclioFunction")) {
    const { name, url } = await startFunction(fn, objects, closers, harnesses);
    functions.push(name);
    // Nuclio names a function's Service `nuclio-<function object>`, on port 8080.
    harnessUrls.set(`http://nuclio-${fn.metadata.name}:8080/`, url);
  }

  const deployment = objects.find((o) => o.kind === "Deployment");
  if (!deployment) throw new Error(`no gateway Deployment rendered for ${file}`);
  const volume = onlyVolume(deployment);
  const dir = await mountDir(closers, volume, objects);
  // `sluice serve <graph file> --host ... --port ...`: the graph file is the first argument.
  const container = (deployment.spec as { template: { spec: { containers: { args: string[] }[] } } }).template
    .spec.containers[0];
  const graphFile = pathInMount(container?.args[1] ?? "", volume, dir);
  const document = parse(await readFile(graphFile, "utf8")) as GraphDocument;
  const gateway = await loadGraphText(stringify(pointAtHarnesses(document, harnessUrls)), graphFile, {
    logger: memoryLogger(),
  });
  return { gateway, functions, harnesses };
}
