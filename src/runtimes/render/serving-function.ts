import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parse as parseYaml } from "yaml";
import {
  type ClassMapping,
  defaultMappingFile,
  type GraphDocument,
  GraphInvalidError,
  importMlrunServing,
  readClassMapping,
  validateDocument,
} from "../../graph/index.js";
import type { AnyFunctionDocument, FunctionDocument } from "../types.js";
import { deployInvalid } from "./deploy-error.js";
import { nuclioKubeAttributes, userEnv } from "./kube-attributes.js";
import { groupTriggers } from "./nuclio-triggers.js";
import { type KubeObject, labels as sluiceLabels, stamped } from "./objects.js";
import { type GraphRenderOptions, renderGraphDocument } from "./render-graph.js";

/** renderServingFunction's options: a graph's, plus the file the document came from. */
export interface FunctionRenderOptions extends GraphRenderOptions {
  /** The function document's file: a serving graph's module paths resolve relative to it. */
  file: string;
}

const batchKinds = new Set(["job", "dask", "mpijob", "spark", "remote-spark"]);

/**
 * Renders a `nuclio` or `serving` function document. A serving function is its graph,
 * rendered as renderGraph does, with the function's Kubernetes attributes (resources, env,
 * volumes, node selection, replicas...) on every step function and its project as the
 * NuclioProject. A nuclio function is one NuclioFunction running its own handler and image.
 * Batch kinds are refused with a pointer at `sluice run`.
 */
export function renderServingFunction(
  fnDoc: AnyFunctionDocument,
  options: FunctionRenderOptions,
): KubeObject[] {
  const where = `function "${fnDoc.metadata.name}"`;
  if (batchKinds.has(fnDoc.kind)) {
    throw deployInvalid(
      where,
      `a ${fnDoc.kind} function is a batch run, not something deployed`,
      `run it with \`sluice run ${options.file}\``,
    );
  }
  if (fnDoc.kind === "serving") {
    const document = servingGraph(fnDoc, options.file);
    for (const [name, trigger] of Object.entries(fnDoc.spec.triggers ?? {})) {
      if (trigger.kind === "http") continue;
      throw deployInvalid(
        `${where}, field spec.triggers.${name}`,
        `a ${trigger.kind} trigger of a serving function would feed every step's function`,
        "declare it in the graph's spec.triggers, or as a queue step",
      );
    }
    // An MLRun export names MLRun's image, which has no sluice in it: only a sluice graph's is kept.
    const { image, ...kube } = fnDoc.spec;
    const own = isMlrunShape(fnDoc) ? kube : { ...kube, ...(image ? { image } : {}) };
    return renderGraphDocument(document, options.file, {
      ...options,
      project: options.project ?? fnDoc.metadata.project ?? document.metadata.name,
      functionSpec: { ...own, ...options.functionSpec },
    });
  }
  if (fnDoc.kind === "nuclio" && options.gatewayOnly) {
    throw deployInvalid(
      where,
      "a nuclio function runs its own handler in Nuclio: it has no graph for a gateway to serve",
      "deploy it without --gateway-only",
    );
  }
  if (fnDoc.kind === "nuclio") return renderNuclioFunction(fnDoc, options);
  throw deployInvalid(
    where,
    `a ${fnDoc.kind} function runs on this machine`,
    `run it with \`sluice run ${options.file} --local\``,
  );
}

/** A serving function whose graph is written MLRun's way (`class_name`), not sluice's. */
function isMlrunShape(fnDoc: FunctionDocument<"serving">): boolean {
  return JSON.stringify(fnDoc.spec.graph ?? {}).includes('"class_name"');
}

/**
 * The graph a serving function carries, as a sluice graph document checked against the
 * schema: `spec.graph` in sluice's shape (steps with `handler: ./module#export`) is taken as
 * it is; one in MLRun's shape (any `class_name`) goes through the MLRun importer.
 */
function servingGraph(fnDoc: FunctionDocument<"serving">, file: string): GraphDocument {
  const graph = fnDoc.spec.graph ?? {};
  let document: unknown;
  if (isMlrunShape(fnDoc)) {
    const mappingFile = join(dirname(file), defaultMappingFile);
    const mapping: ClassMapping = existsSync(mappingFile)
      ? readClassMapping(parseYaml(readFileSync(mappingFile, "utf8")), mappingFile)
      : { classes: new Map(), handlers: new Map() };
    document = importMlrunServing(fnDoc, { file, mapping }).document;
  } else {
    const { kind: _flow, ...spec } = graph as { kind?: unknown };
    const { name, labels } = fnDoc.metadata;
    document = {
      apiVersion: "sluice/v1",
      kind: "Graph",
      metadata: { name, ...(labels ? { labels } : {}) },
      spec,
    };
  }
  const problems = validateDocument(document, file, () => undefined);
  if (problems.length > 0) throw new GraphInvalidError(problems);
  return document as GraphDocument;
}

function renderNuclioFunction(
  fnDoc: FunctionDocument<"nuclio">,
  options: FunctionRenderOptions,
): KubeObject[] {
  const spec = fnDoc.spec;
  const where = `function "${fnDoc.metadata.name}"`;
  const image = options.image ?? spec.image ?? spec.build?.image;
  if (!image) {
    throw deployInvalid(
      `${where}, field spec.image`,
      "no image to run",
      "give it with --image, or set spec.image",
    );
  }
  const handler = spec.function_handler;
  if (!handler)
    throw deployInvalid(`${where}, field spec.function_handler`, "no handler (file:export) to run");
  const project = options.project ?? fnDoc.metadata.project ?? "default";
  const name = fnDoc.metadata.name;
  const labels = {
    ...fnDoc.metadata.labels,
    [sluiceLabels.graph]: name,
    [sluiceLabels.function]: name,
    "nuclio.io/project-name": project,
  };
  const fn = stamped({
    apiVersion: "nuclio.io/v1beta1",
    kind: "NuclioFunction",
    metadata: {
      name,
      namespace: options.namespace,
      labels,
      ...(fnDoc.metadata.annotations ? { annotations: fnDoc.metadata.annotations } : {}),
    },
    spec: {
      ...(spec.description ? { description: spec.description } : {}),
      runtime: spec.nuclio_runtime ?? "nodejs",
      handler,
      image,
      ...(spec.env ? { env: userEnv(spec.env, where) } : {}),
      ...nuclioKubeAttributes(spec, where),
      triggers: groupTriggers({ queues: [], crons: [], concurrency: undefined }, spec.triggers),
    },
    status: { state: "waitingForResourceConfiguration" },
  });
  const projectObject = stamped({
    apiVersion: "nuclio.io/v1beta1",
    kind: "NuclioProject",
    metadata: {
      name: project,
      namespace: options.namespace,
      labels: { [sluiceLabels.graph]: name, [sluiceLabels.function]: "project" },
    },
    spec: {},
  });
  return [projectObject, fn];
}
