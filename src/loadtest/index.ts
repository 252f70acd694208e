/**
 * Load-testing serving graphs and endpoints (`sluice bench`): autocannon drives the load;
 * sluice serves the graph in a child process, measures every response, and writes the
 * summary, the JSON result and a self-contained HTML report. Importing this loads nothing
 * heavy: autocannon is required when a load starts.
 */
export { type BenchIo, runBench, runCompare } from "./bench.js";
export { compareSummaries, type Delta, formatComparison, readReport } from "./compare.js";
export { binsOf, type HistogramBin, type HistogramJson, LatencyHistogram } from "./histogram.js";
export { renderHtmlReport } from "./html-report.js";
export { type OipInputSpec, oipRequestBody, parseOipInput, randomTensor } from "./oip-input.js";
export { type BenchFlags, compileBenchSettings, parseHeaders } from "./settings.js";
export { formatSummary, ratioOf } from "./summary.js";
export type {
  BenchReport,
  BenchSettings,
  BenchTarget,
  LoadPlan,
  ReportSettings,
  RequestPlan,
  RunResult,
  SecondSample,
  Summary,
} from "./types.js";
