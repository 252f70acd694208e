import { defineConfig } from "vitest/config";
import { currentArea } from "./scripts/mutation-areas.mjs";

// The unit tests of one core folder, for StrykerJS (`npm run test:mutation`): the area comes
// from STRYKER_AREA, set by scripts/mutation.mjs. No test bed: mutants are killed in-process.
export default defineConfig({
  test: {
    env: { KAFKAJS_NO_PARTITIONER_WARNING: "1" },
    include: currentArea().tests,
    setupFiles: ["test/infra/mutation-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
