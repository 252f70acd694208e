/** src/graph: the graph document, its validation and compilation, and the executor. */

export type { ModelRunner } from "./build/index.js";
export { nuclioUrl } from "./build/remote.js";
export {
  type CompileOptions,
  compileDocument,
  defaultLogger,
  type QueueWriter,
  type QueueWriterFactory,
  type StepObserver,
} from "./compile.js";
export { CompiledGraph, type GraphState } from "./compiled-graph.js";
export {
  DROP,
  type EventJson,
  type GraphEvent,
  type HandlerFn,
  type Logger,
  type StepClass,
  type StepContext,
  type StepErrorInfo,
  type StepInstance,
} from "./contract.js";
export type {
  CronTrigger,
  GraphDocument,
  KafkaTrigger,
  MonitoringSpec,
  NatsTrigger,
  QueueStep,
  StepSpec,
  TriggerSpec,
} from "./document.js";
export { parseDuration } from "./duration.js";
export { type EventInit, makeEvent } from "./event.js";
export {
  type GenerateChunk,
  type GeneratePlan,
  GenerationError,
  generatePlan,
  runGenerate,
} from "./generate/index.js";
export { JsonBytes } from "./json-bytes.js";
export {
  checkGraphFile,
  type LoadOptions,
  loadGraph,
  loadGraphText,
  readGraphDocument,
} from "./load.js";
export {
  type ClassMapping,
  defaultMappingFile,
  importMlrunServing,
  readClassMapping,
} from "./mlrun/index.js";
export {
  type MonitoringRecord,
  type MonitoringSink,
  type MonitoringSinkFactory,
  mlrunTime,
  type RecordWriter,
  recordText,
  Sampler,
} from "./monitoring/index.js";
export { preloadFor } from "./preload.js";
export { formatProblem, GraphInvalidError, type Problem } from "./problems.js";
export { validateDocument } from "./schema.js";
export { withStartDeadline } from "./start-deadline.js";
export {
  type StepErrorAnswer,
  stepAnswerHeaders,
  stepErrorAnswer,
  stepErrorOfAnswer,
} from "./step-answer.js";
export { StepError, timeoutError, toStepError } from "./step-error.js";
export { type PlannedStep, planTopology, type Topology } from "./topology.js";
