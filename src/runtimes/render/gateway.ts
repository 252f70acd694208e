import type { PlannedStep } from "../../graph/index.js";
import type { ResourceRequirements } from "../types.js";
import { codeFilesOf, configMapContent, contentHash, type FileCache } from "./code-files.js";
import {
  gatewayDisruptionBudget,
  gatewayGraphFile,
  gatewayPodSpec,
  gatewayResources,
  gatewayServicePorts,
} from "./gateway-pod.js";
import { type KubeObject, labels as sluiceLabels, stamped } from "./objects.js";
import { placedCopy } from "./placed-copy.js";
import type { DeployPlan } from "./plan.js";
import { documentText } from "./step-function.js";

/** The `sluice.io/function` of the gateway's objects. */
export const gatewayFunction = "gateway";

/** How the gateway runs: replicas (an HPA between min and max) and its pods' resources. */
export interface GatewaySettings {
  minReplicas?: number;
  maxReplicas?: number;
  /** Average CPU utilisation (percent of requests) the HPA aims at. */
  targetCPU?: number;
  resources?: ResourceRequirements;
}

export const gatewayDefaults = {
  minReplicas: 1,
  maxReplicas: 3,
  targetCPU: 75,
  resources: gatewayResources,
} as const;

export interface GatewayContext {
  plan: DeployPlan;
  namespace: string;
  image: string;
  labelsFor: (fn: string) => Record<string, string>;
  sharedSteps: readonly PlannedStep[];
  files: FileCache;
  settings?: GatewaySettings;
}

/**
 * The gateway: `sluice serve` on its copy of the graph, in which every deployed step is a
 * task placed `nuclio` at its function's URL and every queue a function consumes is only
 * written to. A ConfigMap (the copy and the code of the steps the gateway runs itself: error
 * handlers, local steps), a Deployment (gateway-pod.ts: OIP probes, non-root, a preStop pause)
 * with a pod annotation holding the ConfigMap's hash (a changed graph rolls the pods), a
 * Service on 8080, an HPA and a PodDisruptionBudget. With no functions in the plan
 * (`--gateway-only`) the copy is the graph as written and the ConfigMap holds every step's code.
 */
export function renderGateway(context: GatewayContext): KubeObject[] {
  const { plan, namespace } = context;
  const settings = { ...gatewayDefaults, ...context.settings };
  const name = `${plan.graph}-gateway`;
  const labels = context.labelsFor(gatewayFunction);
  const selector = { [sluiceLabels.graph]: plan.graph, [sluiceLabels.function]: gatewayFunction };
  const copy = placedCopy(plan.document, {
    urlOf: (step) => plan.groupOf.get(step)?.url,
    deployedQueues: plan.deployedQueues,
    dropCron: plan.groups.some((g) => g.crons.length > 0),
  });
  const content = configMapContent(
    [
      { path: gatewayGraphFile, content: Buffer.from(documentText(copy, gatewayGraphFile)) },
      ...codeFilesOf(context.sharedSteps, plan.file, context.files),
    ],
    "the gateway",
  );
  const configMap = stamped({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace, labels },
    ...(Object.keys(content.data).length > 0 ? { data: content.data } : {}),
    ...(Object.keys(content.binaryData).length > 0 ? { binaryData: content.binaryData } : {}),
  });
  const deployment = stamped({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace, labels },
    spec: {
      // No `replicas`: the HPA owns it, and applying a number would fight it.
      selector: { matchLabels: selector },
      template: {
        metadata: {
          labels: { ...labels, ...selector },
          annotations: { "sluice.io/config-hash": contentHash(content) },
        },
        spec: gatewayPodSpec({
          image: context.image,
          graph: { name, items: content.items },
          resources: settings.resources,
        }),
      },
    },
  });
  const service = stamped({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace, labels },
    spec: {
      selector,
      ports: gatewayServicePorts,
    },
  });
  const hpa = stamped({
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name, namespace, labels },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name },
      minReplicas: settings.minReplicas,
      maxReplicas: settings.maxReplicas,
      metrics: [
        {
          type: "Resource",
          resource: { name: "cpu", target: { type: "Utilization", averageUtilization: settings.targetCPU } },
        },
      ],
    },
  });
  const budget = stamped({
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name, namespace, labels },
    spec: { ...gatewayDisruptionBudget, selector: { matchLabels: selector } },
  });
  return [configMap, deployment, service, hpa, budget];
}
