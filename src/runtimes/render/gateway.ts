import type { PlannedStep } from "../../graph/index.js";
import type { ResourceRequirements } from "../types.js";
import { codeFilesOf, configMapContent, contentHash, type FileCache } from "./code-files.js";
import { type KubeObject, labels as sluiceLabels, stamped } from "./objects.js";
import { placedCopy } from "./placed-copy.js";
import type { DeployPlan } from "./plan.js";
import { documentText } from "./step-function.js";

/** Where the gateway's ConfigMap is mounted, and the graph file in it. */
export const gatewayMountRoot = "/etc/sluice/gateway";
export const gatewayGraphFile = "graph.yaml";
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
  // The HPA computes utilisation against requests: the gateway always has them.
  resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
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
 * handlers, local steps), a Deployment with OIP health probes and a pod annotation holding
 * the ConfigMap's hash (a changed graph rolls the pods), a Service on 8080 and an HPA.
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
  const probe = (path: string) => ({
    httpGet: { path, port: "http" },
    periodSeconds: 5,
    timeoutSeconds: 2,
    failureThreshold: 3,
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
        spec: {
          containers: [
            {
              name: "gateway",
              image: context.image,
              command: ["sluice"],
              args: [
                "serve",
                `${gatewayMountRoot}/${gatewayGraphFile}`,
                "--host",
                "0.0.0.0",
                "--port",
                "8080",
              ],
              ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
              readinessProbe: probe("/v2/health/ready"),
              livenessProbe: { ...probe("/v2/health/live"), initialDelaySeconds: 5 },
              resources: settings.resources,
              volumeMounts: [{ name: "graph", mountPath: gatewayMountRoot, readOnly: true }],
            },
          ],
          volumes: [{ name: "graph", configMap: { name, items: content.items } }],
        },
      },
    },
  });
  const service = stamped({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace, labels },
    spec: {
      selector,
      ports: [{ name: "http", port: 8080, targetPort: "http", protocol: "TCP" }],
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
  return [configMap, deployment, service, hpa];
}
