import type { ResourceRequirements } from "../types.js";

/**
 * How a gateway pod runs, wherever it comes from: `sluice deploy` renders it for each graph,
 * and deploy/base/gateway.yaml writes the same by hand for kustomize. A test builds both and
 * holds them equal (test/e2e/deploy-manifests.test.ts), so a change here that the base does not
 * follow, or the other way round, fails there.
 */

/** Where the gateway's ConfigMap is mounted, and the graph file in it. */
export const gatewayMountRoot = "/etc/sluice/gateway";
export const gatewayGraphFile = "graph.yaml";

/** The data plane's port, named `http` in the pod and the Service. */
export const gatewayPort = 8080;

/** The OIP health endpoints the data plane answers: readiness waits for the graphs and triggers. */
export const healthPaths = { ready: "/v2/health/ready", live: "/v2/health/live" } as const;

/** The uid and gid of the images' `node` user (deploy/images): non-root, and numeric so runAsNonRoot can check it. */
export const imageUser = 1000;

/**
 * `sluice serve` drains for up to its `--grace` (30 s by default) after SIGTERM; the preStop
 * pause comes first, while the pod's endpoints are removed, so no new request reaches a
 * draining pod. The kubelet's deadline covers both, with room to exit.
 */
const preStopSeconds = 5;
const serveGraceSeconds = 30;
export const terminationGraceSeconds = preStopSeconds + serveGraceSeconds + 5;

/** The resources a gateway pod asks for: the HPA computes utilisation against the requests. */
export const gatewayResources: ResourceRequirements = {
  requests: { cpu: "100m", memory: "128Mi" },
  limits: { memory: "512Mi" },
};

function probe(path: string) {
  return { httpGet: { path, port: "http" }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 };
}

/** The graph's volume: a ConfigMap, with `items` where keys are not the files' paths. */
export interface GraphVolume {
  name: string;
  items?: { key: string; path: string }[];
}

/**
 * The gateway's pod spec: `sluice serve` on the mounted graph, the OIP probes, a non-root,
 * read-only container with every capability dropped (only /tmp is writable, for tsx's cache),
 * no service-account token (the gateway never calls the Kubernetes API), and a preStop pause
 * before the drain.
 */
export function gatewayPodSpec(options: {
  image: string;
  graph: GraphVolume;
  resources: ResourceRequirements;
}): Record<string, unknown> {
  return {
    automountServiceAccountToken: false,
    terminationGracePeriodSeconds: terminationGraceSeconds,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: imageUser,
      runAsGroup: imageUser,
      seccompProfile: { type: "RuntimeDefault" },
    },
    containers: [
      {
        name: "gateway",
        image: options.image,
        command: ["sluice"],
        args: [
          "serve",
          `${gatewayMountRoot}/${gatewayGraphFile}`,
          "--host",
          "0.0.0.0",
          "--port",
          String(gatewayPort),
        ],
        ports: [{ name: "http", containerPort: gatewayPort, protocol: "TCP" }],
        readinessProbe: probe(healthPaths.ready),
        livenessProbe: { ...probe(healthPaths.live), initialDelaySeconds: 5 },
        lifecycle: { preStop: { sleep: { seconds: preStopSeconds } } },
        resources: options.resources,
        securityContext: {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ["ALL"] },
        },
        volumeMounts: [
          { name: "graph", mountPath: gatewayMountRoot, readOnly: true },
          { name: "tmp", mountPath: "/tmp" },
        ],
      },
    ],
    volumes: [
      {
        name: "graph",
        configMap: {
          name: options.graph.name,
          ...(options.graph.items ? { items: options.graph.items } : {}),
        },
      },
      { name: "tmp", emptyDir: {} },
    ],
  };
}

/** The Service's ports: the data plane only (the admin plane stays on the pod's loopback). */
export const gatewayServicePorts = [{ name: "http", port: gatewayPort, targetPort: "http", protocol: "TCP" }];

/** Voluntary evictions (a node drain) take one gateway pod at a time. */
export const gatewayDisruptionBudget = { maxUnavailable: 1 } as const;
