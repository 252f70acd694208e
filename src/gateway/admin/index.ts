/** src/gateway/admin: the admin plane of `sluice serve` (express, 127.0.0.1 by default). */
export { type AdminOptions, createAdminApp, startAdmin } from "./app.js";
export {
  compilerIn,
  type GraphCompiler,
  type GraphControl,
  type GraphFormat,
  type GraphSummary,
  localControl,
} from "./control.js";
