import { basename, extname } from "node:path";
import { stringify } from "yaml";
import type { GraphDocument, PlannedStep } from "../../graph/index.js";
import type { NuclioSpec } from "../types.js";
import {
  type CodeFile,
  codeFilesOf,
  configMapContent,
  contentHash,
  type FileCache,
  mountPath,
} from "./code-files.js";
import { nuclioKubeAttributes, userEnv } from "./kube-attributes.js";
import { groupTriggers } from "./nuclio-triggers.js";
import { type KubeObject, stamped } from "./objects.js";
import { placedCopy } from "./placed-copy.js";
import type { DeployPlan, FunctionGroup } from "./plan.js";

/** Where a step function's ConfigMap is mounted: the graph's folder, rebuilt. */
export const functionMountRoot = "/etc/sluice/graph";
/**
 * sluice's Nuclio entry, as Nuclio's Node runtime names a handler (`file:export`). The
 * processor joins the file to NUCLIO_HANDLER_DIR as it is, with no extension added, and the
 * wrapper `require`s it: so the file is named with its extension, `entry.cjs` (a CommonJS
 * shim: Node 20 cannot `require` sluice's ES modules).
 */
export const entryHandler = "entry.cjs:handler";
/** Where sluice's Nuclio runtime image has the built entry (sluice installed at /opt/sluice). */
export const entryHandlerDir = "/opt/sluice/dist/runtimes/nuclio";
/** How long the entry lets an event run when SLUICE_EVENT_TIMEOUT is not set (src/runtimes/nuclio/entry.ts). */
const entryDefaultTimeoutMs = 60_000;
/** How long Nuclio waits past the entry's own deadline, so the entry answers 504 before Nuclio stops the worker. */
const eventTimeoutGraceMs = 1000;

/** What rendering a step function needs besides its group. */
export interface StepFunctionContext {
  plan: DeployPlan;
  namespace: string;
  image: string;
  project: string;
  /** Labels every object of the graph carries (the graph's own, then sluice's). */
  labelsFor: (fn: string) => Record<string, string>;
  /** The Kubernetes attributes (and triggers) every step function gets: a serving function's spec. */
  functionSpec?: NuclioSpec;
  /** Steps that run wherever the flow is (error handlers, local steps): their code goes everywhere. */
  sharedSteps: readonly PlannedStep[];
  /** The files this render has read. */
  files: FileCache;
}

/** A graph document as its file's format writes it (JSON for `.json`, else YAML). */
export function documentText(document: GraphDocument, file: string): string {
  return extname(file).toLowerCase() === ".json"
    ? `${JSON.stringify(document, null, 2)}\n`
    : stringify(document, { lineWidth: 0 });
}

/**
 * The name of a function's copy of the graph in its folder: the graph file's name as JSON
 * (`graph.yaml` → `graph.json`). Each function has its own copy, so a graph of n steps
 * writes n copies: JSON keeps that quick where YAML would take most of the render.
 */
export function functionGraphFile(graphFile: string): string {
  const name = basename(graphFile);
  const ext = extname(name);
  return `${ext ? name.slice(0, -ext.length) : name}.json`;
}

/**
 * One step function: a ConfigMap with the function's copy of the graph (the other
 * functions' steps placed `nuclio` at their URLs) and the modules its steps import, and the
 * NuclioFunction that mounts it and runs sluice's entry on it.
 */
export function renderStepFunction(group: FunctionGroup, context: StepFunctionContext): KubeObject[] {
  const { plan } = context;
  const graphName = functionGraphFile(plan.file);
  const copy = placedCopy(plan.document, {
    urlOf: (step) => {
      const owner = plan.groupOf.get(step);
      return owner && owner !== group ? owner.url : undefined;
    },
    deployedQueues: plan.deployedQueues,
    dropCron: false,
    ownSteps: new Set(group.steps.map((s) => s.name)),
  });
  const where = `function "${group.name}"`;
  const files: CodeFile[] = [
    { path: graphName, content: Buffer.from(documentText(copy, graphName)) },
    ...codeFilesOf([...group.steps, ...context.sharedSteps], plan.file, context.files),
  ];
  const content = configMapContent(files, where);
  const labels = context.labelsFor(group.label);
  const configMapName = `${group.objectName}-code`;
  const configMap = stamped({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: configMapName, namespace: context.namespace, labels },
    ...(Object.keys(content.data).length > 0 ? { data: content.data } : {}),
    ...(Object.keys(content.binaryData).length > 0 ? { binaryData: content.binaryData } : {}),
  });
  const given = context.functionSpec ?? {};
  const volume = {
    volume: { name: "sluice-graph", configMap: { name: configMapName, items: content.items } },
    volumeMount: { name: "sluice-graph", mountPath: functionMountRoot, readOnly: true },
  };
  const attributes = nuclioKubeAttributes(given, where);
  // The entry answers by its deadline (the caller's x-request-timeout, at most this); Nuclio's
  // eventTimeout is the backstop for a worker that never answers, so it comes a second later.
  const entryTimeoutMs = Math.max(group.timeoutMs ?? 0, entryDefaultTimeoutMs);
  const fn = stamped({
    apiVersion: "nuclio.io/v1beta1",
    kind: "NuclioFunction",
    metadata: {
      name: group.objectName,
      namespace: context.namespace,
      labels: { ...labels, "nuclio.io/project-name": context.project },
      // The hash of the ConfigMap it mounts: changed code changes the function object too,
      // so re-applying it has Nuclio redeploy the function.
      annotations: { "sluice.io/config-hash": contentHash(content) },
    },
    spec: {
      description: `sluice graph ${plan.graph}: ${group.steps.map((s) => s.name).join(", ")}`,
      runtime: "nodejs",
      handler: entryHandler,
      image: context.image,
      env: [
        { name: "NUCLIO_HANDLER_DIR", value: entryHandlerDir },
        { name: "SLUICE_GRAPH", value: mountPath(functionMountRoot, graphName) },
        { name: "SLUICE_FUNCTION", value: group.name },
        ...(entryTimeoutMs > entryDefaultTimeoutMs
          ? [{ name: "SLUICE_EVENT_TIMEOUT", value: `${entryTimeoutMs}ms` }]
          : []),
        ...userEnv(given.env, where),
      ],
      ...attributes,
      volumes: [volume, ...((attributes.volumes as unknown[] | undefined) ?? [])],
      triggers: groupTriggers(group, given.triggers),
      eventTimeout: `${entryTimeoutMs + eventTimeoutGraceMs}ms`,
    },
    // Nuclio's controller acts on a function only in this state (the dashboard sets it after
    // a build); the CRD has no status subresource, so it is written with the object.
    status: { state: "waitingForResourceConfiguration" },
  });
  return [configMap, fn];
}
