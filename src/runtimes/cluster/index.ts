/** src/runtimes/cluster: sluice's Kubernetes client: kubeconfig, server-side apply, get/list/delete, watch with resume. */

export {
  Cluster,
  type ClusterObject,
  type Listing,
  type ListOptions,
  type ObjectRef,
  type Propagation,
  refText,
} from "./client.js";
export { type ClusterOptions, loadKubeConfig } from "./config.js";
export { type CallSite, clusterError } from "./errors.js";
export { type WatchEventType, type Watcher, type WatchQuery, waitForObject, watchObjects } from "./watch.js";
