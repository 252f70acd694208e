import { readdirSync, readFileSync } from "node:fs";
import { defineConfig } from "vitest/config";

/** Trigger tests that need no broker: unit tests, though they live beside the rest. */
const brokerFree = new Set<string>(
  JSON.parse(readFileSync(new URL("test/broker-free.json", import.meta.url), "utf8")).tests,
);
const triggerTests = readdirSync(new URL("test/triggers/", import.meta.url))
  .filter((file) => file.endsWith(".test.ts"))
  .map((file) => `test/triggers/${file}`);

// Two projects: `unit` needs nothing running; `integration` talks to the real Kafka broker,
// nats-server and Kubernetes API server that test/infra/global-setup.ts starts (only when that
// project runs).
const integration = [
  "test/infra/**/*.test.ts",
  "test/e2e/**/*.test.ts",
  ...triggerTests.filter((file) => !brokerFree.has(file)),
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
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: integration,
          // Tests that run the `sluice` binary run dist/: built here when src/ is newer.
          globalSetup: ["test/infra/fresh-build.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: integration,
          globalSetup: ["test/infra/fresh-build.ts", "test/infra/global-setup.ts"],
        },
      },
    ],
  },
});
