/**
 * src/runtimes/nuclio: what a deployed graph runs on Nuclio. The entry module itself
 * (entry.ts, loaded through entry.cjs) is not exported here: Nuclio loads it by path.
 */
export { type Answer, answerOf, failureAnswer } from "./answer.js";
export { FunctionHost } from "./function-host.js";
export type { NuclioContext, NuclioEvent, NuclioLogger, NuclioResponse } from "./nuclio-api.js";
export {
  type FunctionGroups,
  type FunctionUrl,
  functionGroups,
  movesToNuclio,
  placeStepsInNuclio,
} from "./placement.js";

/** The handler Nuclio is told to load: `spec.handler` of every rendered function (file `entry.cjs` in NUCLIO_HANDLER_DIR). */
export const nuclioHandler = "entry.cjs:handler";
