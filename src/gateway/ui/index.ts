/** src/gateway/ui: the admin plane's `/ui` page and the live figures it shows. */
export { uiPage } from "./page.js";
export {
  type GraphStats,
  type Histogram,
  histogramDelta,
  histogramQuantile,
  type MetricJson,
  type Snapshot,
  type Stats,
  StatsWindow,
  type StepStats,
  snapshotOf,
  statsBetween,
} from "./stats.js";
