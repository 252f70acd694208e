/**
 * src/runtimes/cluster: sluice's Kubernetes client and the control plane's verbs on it:
 * kubeconfig, server-side apply that skips unchanged objects, prune and delete by label,
 * list-watch with resume, and readiness as each kind's controller writes it.
 */

export {
  type Applied,
  type ApplyAction,
  applyObjects,
  deleteSelected,
  type KindRef,
  type ProgressListener,
  refOf,
} from "./apply-set.js";
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
export { type DeployResult, deploy, deployedKinds, ownedBy, undeploy } from "./deployment.js";
export { type CallSite, clusterError } from "./errors.js";
export { hasReadiness, type Readiness, readinessOf } from "./readiness.js";
export { type WaitResult, waitUntilReady } from "./wait.js";
export { type WatchEventType, type Watcher, type WatchQuery, waitForObject, watchObjects } from "./watch.js";
