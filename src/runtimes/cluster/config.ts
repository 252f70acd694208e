import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { SluiceError } from "../../errors.js";

/** Where to find the cluster: a kubeconfig file and context, or the pod's own service account. */
export interface ClusterOptions {
  /** A kubeconfig file; default `$KUBECONFIG`, else `~/.kube/config`, else in-cluster. */
  kubeconfig?: string;
  /** A context of that kubeconfig; default its current context. */
  context?: string;
}

/**
 * The kubeconfig kubectl would read, if there is one. The client's own loadFromDefault falls
 * back to http://localhost:8080 when there is none, which would only fail later and less clearly.
 */
function defaultKubeconfig(): string | undefined {
  const fromEnv = process.env.KUBECONFIG?.split(delimiter).find((f) => f !== "" && existsSync(f));
  if (fromEnv) return fromEnv;
  const home = join(homedir(), ".kube", "config");
  return existsSync(home) ? home : undefined;
}

const inClusterToken = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/**
 * Loads a kubeconfig as kubectl would: the given file, `$KUBECONFIG`, `~/.kube/config`, or the
 * in-cluster service account when sluice runs in a pod. Fails with one line when none names a
 * cluster, rather than letting the client default to localhost:8080.
 */
export function loadKubeConfig(options: ClusterOptions = {}): KubeConfig {
  const config = new KubeConfig();
  try {
    if (options.kubeconfig) {
      if (!existsSync(options.kubeconfig)) {
        throw new SluiceError("SLUICE_ERR_CLUSTER_CONFIG", `kubeconfig ${options.kubeconfig} does not exist`);
      }
      config.loadFromFile(options.kubeconfig);
    } else if (!process.env.KUBECONFIG && existsSync(inClusterToken) && process.env.KUBERNETES_SERVICE_HOST) {
      config.loadFromCluster();
    } else {
      const file = defaultKubeconfig();
      if (!file) {
        throw new SluiceError("SLUICE_ERR_CLUSTER_CONFIG", "no Kubernetes cluster is configured", {
          hint: "give --kubeconfig, set KUBECONFIG, or run inside a pod with a service account",
        });
      }
      config.loadFromDefault();
    }
  } catch (error) {
    if (error instanceof SluiceError) throw error;
    throw new SluiceError(
      "SLUICE_ERR_CLUSTER_CONFIG",
      `cannot read the kubeconfig: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (options.context) {
    if (!config.getContextObject(options.context)) {
      const known = config.getContexts().map((c) => c.name);
      throw new SluiceError(
        "SLUICE_ERR_CLUSTER_CONFIG",
        `the kubeconfig has no context "${options.context}" (it has: ${known.join(", ") || "none"})`,
      );
    }
    config.setCurrentContext(options.context);
  }
  if (!config.getCurrentCluster()) {
    throw new SluiceError("SLUICE_ERR_CLUSTER_CONFIG", "no Kubernetes cluster is configured", {
      hint: "give --kubeconfig, set KUBECONFIG, or run inside a pod with a service account",
    });
  }
  return config;
}
