import type { Cluster, ClusterObject } from "./client.js";
import { clusterError } from "./errors.js";
import { stream } from "./transport.js";
import { watchObjects } from "./watch.js";

/**
 * Streams the logs of every pod matching `selector` as each starts running, prefixed by the
 * pod's name when there are several. Logs come from the kubelet through the API server; on a
 * cluster that cannot serve them (no kubelet, as on kwok's fake nodes) it says so once, through
 * `onUnavailable`, and stops asking.
 */
export function streamPodLogs(
  cluster: Cluster,
  options: {
    namespace: string;
    selector: string;
    out: NodeJS.WritableStream;
    onUnavailable: (reason: string) => void;
  },
): { stop(): void } {
  const followed = new Set<string>();
  const controller = new AbortController();
  let unavailable = false;
  const follow = async (pod: ClusterObject) => {
    const name = pod.metadata.name;
    const path = `/api/v1/namespaces/${encodeURIComponent(options.namespace)}/pods/${encodeURIComponent(name)}/log`;
    try {
      await stream(
        cluster.config,
        path,
        { follow: "true" },
        (chunk) => options.out.write(chunk),
        controller.signal,
      );
    } catch (error) {
      if (unavailable || controller.signal.aborted) return;
      unavailable = true;
      watcher.stop();
      const said = clusterError(error, { verb: "get", kind: "Pod log", name, namespace: options.namespace });
      options.onUnavailable(said.message.replace(/^cannot get Pod log [^:]+: /, ""));
    }
  };
  const watcher = watchObjects(
    cluster,
    { apiVersion: "v1", kind: "Pod", namespace: options.namespace, labelSelector: options.selector },
    (type, pod) => {
      const phase = (pod.status as { phase?: string } | undefined)?.phase;
      if (type === "DELETED" || unavailable || followed.has(pod.metadata.name)) return;
      if (phase !== "Running" && phase !== "Succeeded" && phase !== "Failed") return;
      followed.add(pod.metadata.name);
      void follow(pod);
    },
  );
  watcher.closed.catch(() => {});
  return {
    stop() {
      controller.abort();
      watcher.stop();
    },
  };
}
