/** test/infra/nuclio: a stand-in for Nuclio's processor and Node.js wrapper (see harness.ts). */
export {
  type HarnessEvent,
  type HarnessOptions,
  type HarnessResponse,
  type LogRecord,
  NuclioHarness,
} from "./harness.js";
export { httpTrigger } from "./http-front.js";
