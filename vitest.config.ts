import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/infra/global-setup.ts"],
    env: { KAFKAJS_NO_PARTITIONER_WARNING: "1" },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: more workers only fight the brokers for CPU.
    maxWorkers: 2,
  },
});
