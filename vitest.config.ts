import { defineConfig } from "vitest/config";

// Two projects: `unit` needs nothing running; `integration` talks to the real Kafka broker and
// nats-server that test/infra/global-setup.ts starts (only when that project runs).
const integration = [
  "test/infra/**/*.test.ts",
  "test/triggers/**/*.test.ts",
  "test/e2e/**/*.test.ts",
  // Python's tritonclient, from a venv made once per machine (test/helpers/python-venv.ts).
  "test/gateway/grpc/tritonclient.test.ts",
];

export default defineConfig({
  test: {
    env: { KAFKAJS_NO_PARTITIONER_WARNING: "1" },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: more workers only fight the brokers for CPU.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: "unit", include: ["test/**/*.test.ts"], exclude: integration } },
      {
        extends: true,
        test: { name: "integration", include: integration, globalSetup: ["test/infra/global-setup.ts"] },
      },
    ],
  },
});
