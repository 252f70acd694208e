/**
 * src/runtimes/render: what `sluice deploy` applies, as plain Kubernetes objects. Serving
 * graphs become a NuclioProject, a ConfigMap and NuclioFunction per function group, and the
 * gateway (ConfigMap, Deployment, Service, HPA); docs/deploy-rendering.md has the rules.
 */
export { configMapLimit } from "./code-files.js";
export { renderDeployable } from "./deployable.js";
export { type GatewaySettings, gatewayFunction } from "./gateway.js";
export {
  type KubeObject,
  labels,
  managerName,
  objectHash,
  type RenderOptions,
  stamped,
} from "./objects.js";
export { type Placement, placedCopy } from "./placed-copy.js";
export { type DeployPlan, type FunctionGroup, planDeployment } from "./plan.js";
export { type GraphRenderOptions, renderGraph, renderGraphDocument } from "./render-graph.js";
export { type FunctionRenderOptions, renderServingFunction } from "./serving-function.js";
export { entryHandler, entryHandlerDir, functionMountRoot } from "./step-function.js";
