// The core folders under mutation testing (`npm run test:mutation`), each with the unit test
// files that exercise it in-process. A test that starts `sluice` as a child process runs the
// built dist/, not the mutated source, so none is listed: it would only slow the dry run.

import { readFileSync } from "node:fs";

/** The trigger tests that need no broker (test/broker-free.json). */
const brokerFree = JSON.parse(
  readFileSync(new URL("../test/broker-free.json", import.meta.url), "utf8"),
).tests;

/** @typedef {{ mutate: string[], tests: string[] }} Area */

/** @type {Record<string, Area>} */
export const areas = {
  graph: {
    mutate: ["src/graph/compile.ts", "src/graph/executor.ts", "src/graph/paths.ts", "src/graph/topology.ts"],
    // The tests of the engine itself: every other test compiles a graph too, but running them
    // for each of these mutants would take hours and kill nothing more.
    tests: [
      "test/graph/executor.test.ts",
      "test/graph/executor-edges.test.ts",
      "test/graph/topology.test.ts",
      "test/graph/compile.test.ts",
      "test/graph/compile-errors.test.ts",
      "test/graph/dag-properties.test.ts",
      "test/graph/paths.test.ts",
      "test/graph/routers.test.ts",
      "test/graph/loader.test.ts",
      "test/graph/builtins.test.ts",
      "test/graph/examples.test.ts",
      "test/graph/resilience.test.ts",
      "test/graph/resilience-parts.test.ts",
      // The only one that compiles a graph with monitoring (a sink, and none to serve).
      "test/graph/monitoring.test.ts",
    ],
  },
  oip: {
    mutate: ["src/graph/oip/**/*.ts"],
    tests: [
      "test/graph/oip/*.test.ts",
      "test/graph/routers.test.ts",
      "test/gateway/oip*.test.ts",
      "test/loadtest/oip-input.test.ts",
    ],
  },
  resilience: {
    mutate: ["src/graph/resilience/**/*.ts"],
    tests: [
      "test/graph/resilience.test.ts",
      "test/graph/resilience-parts.test.ts",
      "test/graph/remote-targets.test.ts",
      "test/graph/remote.test.ts",
      "test/graph/executor.test.ts",
      "test/gateway/remote*.test.ts",
    ],
  },
  triggers: {
    mutate: ["src/triggers/**/*.ts"],
    tests: brokerFree,
  },
  hash: {
    mutate: ["src/runtimes/hash.ts"],
    tests: [
      "test/runtimes/hash.test.ts",
      "test/runtimes/function-object.test.ts",
      "test/runtimes/store.test.ts",
    ],
  },
  status: {
    mutate: ["src/gateway/http/*.ts", "src/gateway/request-context.ts"],
    tests: [
      "test/gateway/http/*.test.ts",
      "test/gateway/request-context.test.ts",
      "test/gateway/limits.test.ts",
      "test/gateway/graphs-over-http.test.ts",
      "test/gateway/oip*.test.ts",
    ],
  },
};

/** The area the current mutation run covers (`STRYKER_AREA`), or an error naming the known ones. */
export function currentArea() {
  const name = process.env.STRYKER_AREA ?? "";
  const area = areas[name];
  if (!area) throw new Error(`STRYKER_AREA must be one of ${Object.keys(areas).join(", ")} (got "${name}")`);
  return { name, ...area };
}
