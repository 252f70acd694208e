// StrykerJS on one core folder at a time (see scripts/mutation.mjs and docs/testing.md).
import { currentArea } from "./scripts/mutation-areas.mjs";

const area = currentArea();
const reports = `reports/mutation/${area.name}`;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.ts", related: false },
  // Only the tests that reach a mutant run for it.
  coverageAnalysis: "perTest",
  mutate: area.mutate,
  // Reruns test only what changed since the last run of this area.
  incremental: true,
  incrementalFile: `${reports}/incremental.json`,
  reporters: ["html", "json", "clear-text", "progress"],
  htmlReporter: { fileName: `${reports}/index.html` },
  jsonReporter: { fileName: `${reports}/mutation.json` },
  // Two cores, shared: one sandbox at a time.
  concurrency: 1,
  timeoutMS: 10_000,
  tempDirName: ".stryker-tmp",
  ignorePatterns: [
    "dist",
    "reports",
    "bench/results",
    "test/infra/.kafka",
    ".sluice",
    ".scratch",
    "coverage",
  ],
  thresholds: { high: 90, low: 80, break: null },
};
