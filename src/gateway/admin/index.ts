/**
 * src/gateway/admin: the admin plane of `sluice serve` (express, 127.0.0.1 by default). The
 * express app itself (`./app.js`) is loaded by `lazyAdmin` on the first admin request.
 */
export type { AdminOptions } from "./app.js";
export {
  compilerIn,
  type GraphCompiler,
  type GraphControl,
  type GraphFormat,
  type GraphSummary,
  localControl,
} from "./control.js";
export { lazyAdmin, startAdmin } from "./listen.js";
