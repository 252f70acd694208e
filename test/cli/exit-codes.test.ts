import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { sluiceWithEnv } from "../helpers/cli.js";

/** A port something else listens on, for as long as the test runs. */
async function busyPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return String((server.address() as { port: number }).port);
}

interface Case {
  args: string[] | (() => Promise<string[]>);
  code: 0 | 1 | 2 | 3;
  /** What the command says (on stdout or stderr). */
  says: string;
}

/**
 * The README's promise, command by command, run as the real binary: 0 ok, 1 bad input or an
 * invalid graph, 2 usage, 3 a runtime failure. (`sluice serve` exits 0 after SIGTERM in
 * test/gateway/lifecycle.test.ts; `bench` and `deploy` reaching servers in their own tests.)
 */
const cases: Record<string, Case[]> = {
  validate: [
    { args: ["examples/enrichment/graph.yaml"], code: 0, says: "ok" },
    { args: ["test/fixtures/cli/broken.yaml"], code: 1, says: 'unknown field "colour"' },
    { args: [], code: 2, says: "missing required argument" },
  ],
  invoke: [
    { args: ["test/fixtures/gateway/flow.yaml", "--body", "{}"], code: 0, says: "{" },
    { args: ["test/fixtures/cli/broken.yaml", "--body", "{}"], code: 1, says: "broken.yaml" },
    { args: ["test/fixtures/gateway/flow.yaml", "--body"], code: 2, says: "argument missing" },
    { args: ["test/fixtures/gateway/invoke-fails.yaml", "--body", "{}"], code: 3, says: "it broke" },
  ],
  graph: [
    { args: ["examples/enrichment/graph.yaml"], code: 0, says: "flowchart" },
    { args: ["nothere.yaml"], code: 1, says: "nothere.yaml: /: file not found" },
    { args: ["examples/enrichment/graph.yaml", "--format", "png"], code: 2, says: 'unknown --format "png"' },
  ],
  import: [
    {
      args: ["mlrun", "test/fixtures/mlrun/fraud-flow.yaml", "--mapping", "test/fixtures/mlrun/mapping.yaml"],
      code: 0,
      says: "kind: Graph",
    },
    {
      args: ["mlrun", "examples/enrichment/graph.yaml"],
      code: 1,
      says: "only serving functions carry a graph",
    },
    { args: ["kubeflow", "function.yaml"], code: 2, says: 'cannot import from "kubeflow"' },
  ],
  serve: [
    {
      args: ["test/fixtures/cli/broken.yaml", "--port", "0", "--admin-port", "0"],
      code: 1,
      says: "broken.yaml",
    },
    { args: ["examples/enrichment/graph.yaml", "--workers", "0"], code: 2, says: "--workers" },
    {
      args: async () => ["examples/enrichment/graph.yaml", "--port", await busyPort(), "--admin-port", "0"],
      code: 3,
      says: "cannot listen: port",
    },
  ],
  deploy: [
    {
      args: ["examples/enrichment/graph.yaml", "--dry-run", "--image", "reg/sluice:1"],
      code: 0,
      says: "kind: Deployment",
    },
    { args: ["examples/enrichment/graph.yaml", "--dry-run"], code: 1, says: "no runtime image" },
    { args: ["examples/enrichment/graph.yaml", "--dry-run", "-o", "toml"], code: 2, says: "toml" },
  ],
  run: [
    { args: ["test/fixtures/runtimes/script.yaml", "--local"], code: 0, says: "of script completed" },
    { args: ["test/fixtures/runtimes/broken.yaml", "--local"], code: 1, says: "broken" },
    {
      args: ["test/fixtures/runtimes/script.yaml", "--local", "--nope"],
      code: 2,
      says: "unknown option '--nope'",
    },
    {
      args: ["test/fixtures/runtimes/script.yaml", "--local", "--param", "exit=4"],
      code: 3,
      says: "exited with code 4",
    },
  ],
  functions: [
    { args: ["list"], code: 0, says: "" },
    { args: ["get", "nothing-by-this-name"], code: 1, says: "nothing-by-this-name" },
    { args: ["bogus"], code: 2, says: "unknown command 'bogus'" },
    { args: ["list", "--store", "/"], code: 3, says: "cannot open the function store /" },
  ],
  bench: [{ args: ["examples/enrichment/graph.yaml", "--connections", "0"], code: 2, says: "--connections" }],
};

describe("sluice's exit codes, command by command", () => {
  for (const [command, list] of Object.entries(cases)) {
    for (const { args, code, says } of list) {
      it(`${command} exits ${code}: ${says || "(nothing to say)"}`, async () => {
        // Each run with its own empty home: a function store no other test wrote to.
        const home = mkdtempSync(join(tmpdir(), "sluice-exit-"));
        const argv = typeof args === "function" ? await args() : args;
        const result = await sluiceWithEnv({ SLUICE_HOME: home, SLUICE_STORE: "" }, command, ...argv);
        expect({
          code: result.code,
          said: `${result.stdout}${result.stderr}`.includes(says),
        }).toEqual({
          code,
          said: true,
        });
      });
    }
  }
});
