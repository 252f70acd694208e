import { isSluiceError, SluiceError } from "../../errors.js";
import { type GraphDocument, readGraphDocument } from "../../graph/index.js";
import type { NuclioSpec } from "../types.js";
import type { FileCache } from "./code-files.js";
import { deployInvalid } from "./deploy-error.js";
import { type GatewaySettings, renderGateway } from "./gateway.js";
import { type KubeObject, type RenderOptions, labels as sluiceLabels, stamped } from "./objects.js";
import { type DeployPlan, planDeployment } from "./plan.js";
import { renderStepFunction } from "./step-function.js";

/** What rendering a graph takes besides the namespace. */
export interface GraphRenderOptions extends RenderOptions {
  /** sluice's Nuclio runtime image, which the step functions run (required: there is no default). */
  image?: string;
  /** The image the gateway runs `sluice serve` from (default: `image`, which holds sluice too). */
  gatewayImage?: string;
  /** The NuclioProject the functions belong to (default: the graph's name). */
  project?: string;
  /** Kubernetes attributes (and triggers) for every step function: a serving function's spec. */
  functionSpec?: NuclioSpec;
  /** The gateway's replicas, autoscaling target and resources. */
  gateway?: GatewaySettings;
  /**
   * Only the gateway: `sluice serve` in a Deployment running every step itself, as on one
   * machine; no NuclioProject, no functions, and so no Nuclio needed on the cluster.
   */
  gatewayOnly?: boolean;
}

/**
 * Renders a graph file into the Kubernetes objects that run it, in apply order: the
 * NuclioProject, each step function's ConfigMap and NuclioFunction, then the gateway's
 * ConfigMap, Deployment, Service, HorizontalPodAutoscaler and PodDisruptionBudget (only those
 * with `gatewayOnly`). Pure: the same file and options
 * give byte-identical objects. Everything is checked before anything is rendered.
 * @throws SluiceError SLUICE_ERR_GRAPH_INVALID (the document), SLUICE_ERR_RENDER_INVALID (what cannot be deployed)
 */
export async function renderGraph(graphFile: string, options: GraphRenderOptions): Promise<KubeObject[]> {
  const { document, file } = await readGraphDocument(graphFile);
  return renderGraphDocument(document, file, options);
}

/** renderGraph for a document already read and checked against the schema; `file` locates its modules. */
export function renderGraphDocument(
  document: GraphDocument,
  file: string,
  options: GraphRenderOptions,
): KubeObject[] {
  try {
    const plan = planDeployment(document, file, { gatewayOnly: options.gatewayOnly === true });
    return options.gatewayOnly ? renderGatewayOnly(plan, options) : render(plan, options);
  } catch (error) {
    // A refusal names the step and field; the file is said once, in front, as validate does.
    if (isSluiceError(error) && error.code === "SLUICE_ERR_RENDER_INVALID") {
      throw new SluiceError(error.code, `${file}: ${error.message}`, {
        cause: error,
        ...(error.hint === undefined ? {} : { hint: error.hint }),
      });
    }
    throw error;
  }
}

/** The graph's `metadata.labels`, then sluice's: what every object of the graph carries. */
function labelsOf(plan: DeployPlan): (fn: string) => Record<string, string> {
  const own = plan.document.metadata.labels ?? {};
  return (fn) => ({ ...own, [sluiceLabels.graph]: plan.graph, [sluiceLabels.function]: fn });
}

/** The graph's annotations on every object, when it has some. */
function annotated(plan: DeployPlan, objects: KubeObject[]): KubeObject[] {
  const annotations = plan.document.metadata.annotations;
  return annotations ? objects.map((o) => withAnnotations(o, annotations)) : objects;
}

function renderGatewayOnly(plan: DeployPlan, options: GraphRenderOptions): KubeObject[] {
  const image = options.gatewayImage ?? options.image;
  if (!image) {
    throw deployInvalid(
      "the gateway",
      "no image: the gateway runs `sluice serve` from sluice's image",
      "give it with --image <registry/sluice:tag> (or --gateway-image)",
    );
  }
  const gateway = renderGateway({
    plan,
    namespace: options.namespace,
    image,
    labelsFor: labelsOf(plan),
    sharedSteps: [...plan.topology.order, ...plan.topology.handlers.values()],
    files: new Map(),
    ...(options.gateway ? { settings: options.gateway } : {}),
  });
  return annotated(plan, gateway);
}

function render(plan: DeployPlan, options: GraphRenderOptions): KubeObject[] {
  const image = options.image ?? options.functionSpec?.image;
  if (!image) {
    throw deployInvalid(
      "the step functions",
      "no runtime image: the functions run sluice's Nuclio entry from an image",
      "give it with --image <registry/sluice:tag>",
    );
  }
  const { namespace } = options;
  const project = options.project ?? plan.graph;
  const labelsFor = labelsOf(plan);
  const sharedSteps = [...plan.topology.order, ...plan.topology.handlers.values()].filter(
    (s) => !plan.groupOf.has(s.name),
  );
  const objects: KubeObject[] = [
    stamped({
      apiVersion: "nuclio.io/v1beta1",
      kind: "NuclioProject",
      metadata: { name: project, namespace, labels: labelsFor("project") },
      spec: { description: `sluice graph ${plan.graph}` },
    }),
  ];
  const files: FileCache = new Map();
  const functions: KubeObject[] = [];
  for (const group of plan.groups) {
    const [configMap, fn] = renderStepFunction(group, {
      plan,
      namespace,
      image,
      project,
      labelsFor,
      sharedSteps,
      files,
      ...(options.functionSpec ? { functionSpec: options.functionSpec } : {}),
    }) as [KubeObject, KubeObject];
    objects.push(configMap);
    functions.push(fn);
  }
  objects.push(...functions);
  objects.push(
    ...renderGateway({
      plan,
      namespace,
      image: options.gatewayImage ?? image,
      labelsFor,
      sharedSteps,
      files,
      ...(options.gateway ? { settings: options.gateway } : {}),
    }),
  );
  return annotated(plan, objects);
}

/** The graph's annotations on an object (its own win), stamped again since the content changed. */
function withAnnotations(object: KubeObject, annotations: Record<string, string>): KubeObject {
  return stamped({
    ...object,
    metadata: { ...object.metadata, annotations: { ...annotations, ...object.metadata.annotations } },
  });
}
