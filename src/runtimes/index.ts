/** src/runtimes: function objects, their kinds and schemas, content hashes, the store, the hub, local runs. */

export { normaliseFunctionDocument } from "./document/mlrun.js";
export {
  type FunctionSource,
  functionFromRaw,
  type LoadedFunction,
  readFunctionFile,
  readFunctionSource,
  readFunctionText,
} from "./document/read.js";
export { type DocumentFormat, formatDocument, formatOfFile } from "./document/write.js";
export { runsTable, table, versionsTable } from "./format.js";
export { FunctionObject, type MountOptions } from "./function-object.js";
export { canonicalJson, functionHash, hashedContent } from "./hash.js";
export { bundledHub, Hub, type HubEntry, type HubIndex, isHubUri, parseHubUri } from "./hub/hub.js";
export { defaultGpuType, type NodeSelection } from "./kubernetes.js";
export { type LocatedFunction, locateFunction } from "./locate.js";
export { FunctionInvalidError } from "./problems.js";
export { isQuantity, parseQuantity, quantityProblem } from "./quantity.js";
export { type FunctionRef, formatFunctionRef, parseFunctionRef } from "./ref.js";
export type { Handler, RunContext } from "./run/handler.js";
export { parseParams } from "./run/params.js";
export { type LocalRunOptions, locallyRunnable, runLocally } from "./run/run.js";
export { documentSchema, specSchemas } from "./schema/kinds.js";
export { validateFunctionDocument } from "./schema/validate.js";
export { exportFunctions, type FunctionList, importFunctionList, isFunctionList } from "./store/bundle.js";
export { sluiceHome, storePath } from "./store/location.js";
export type { RunRecord, RunState, RunTarget } from "./store/runs.js";
export {
  FunctionStore,
  type PutOptions,
  type PutResult,
  type Resolved,
  type StoredFunction,
  type StoreOptions,
  type VersionInfo,
} from "./store/store.js";
export * from "./types.js";
