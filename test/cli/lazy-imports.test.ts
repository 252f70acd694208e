import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/cli.js";
import { serveProcess } from "../helpers/serve-process.js";

const hook = fileURLToPath(new URL("../fixtures/cli/loaded-modules.mjs", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "sluice-loaded-"));

/** Environment that makes a sluice process write the module files it loaded to `file`. */
function recording(name: string): { env: Record<string, string>; loaded: () => string[] } {
  const file = join(dir, `${name}.json`);
  return {
    env: { NODE_OPTIONS: `--import ${hook}`, SLUICE_TEST_LOADED: file },
    loaded: () => JSON.parse(readFileSync(file, "utf8")) as string[],
  };
}

async function sluice(name: string, ...args: string[]): Promise<string[]> {
  const { env, loaded } = recording(name);
  await promisify(execFile)(process.execPath, ["bin/sluice.js", ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
  });
  return loaded();
}

/** The heavy libraries a process must not load unless one of its graphs needs them. */
const optional: Record<string, RegExp> = {
  "the CEL engine": /\/node_modules\/@bufbuild\/cel\//,
  undici: /\/node_modules\/undici\//,
  kafkajs: /\/node_modules\/kafkajs\//,
  "nats.js": /\/node_modules\/@nats-io\//,
  "ajv's compiler": /\/node_modules\/ajv\/dist\/compile\//,
  "the function store": /\/node_modules\/better-sqlite3\/|\/dist\/runtimes\//,
  autocannon: /\/node_modules\/autocannon\//,
  "the drawing code": /\/dist\/graph\/draw\/index\.js$/,
  "express (the admin plane, until its first request)": /\/node_modules\/express\//,
  "gRPC (only with --grpc-port)": /\/node_modules\/@grpc\/|\/dist\/gateway\/grpc\//,
};

function present(files: string[]): string[] {
  return Object.keys(optional).filter((name) => files.some((f) => optional[name]?.test(f)));
}

// The memory bar of `sluice serve` (bench/: idle RSS under 80 MB) depends on these staying out.
describe("heavy libraries load only when needed", () => {
  it("sluice serve of a graph with no CEL, remote step or broker loads none of them", async () => {
    const { env, loaded } = recording("serve");
    const served = await serveProcess(["examples/inference/graph.yaml"], {
      ...env,
      SLUICE_LOG_LEVEL: "warn",
    });
    // One request first: a request may load modules too, and a SIGTERM right after the
    // "serving" line can beat the signal handler here (seen with a bare node script too).
    expect((await fetch(`${served.url}/v2/models/iris/ready`)).status).toBe(200);
    served.child.kill("SIGTERM");
    expect(await served.exited).toBe(0);
    const files = loaded();
    expect(files.some((f) => f.endsWith("/dist/gateway/serve.js"))).toBe(true);
    expect(present(files)).toEqual([]);
  });

  it("sluice serve --grpc-port loads gRPC, and nothing else optional", async () => {
    const { env, loaded } = recording("serve-grpc");
    const served = await serveProcess(["--grpc-port", "0", "examples/inference/graph.yaml"], {
      ...env,
      SLUICE_LOG_LEVEL: "warn",
    });
    expect((await fetch(`${served.url}/v2/models/iris/ready`)).status).toBe(200);
    served.child.kill("SIGTERM");
    expect(await served.exited).toBe(0);
    expect(present(loaded())).toEqual(["gRPC (only with --grpc-port)"]);
  });

  it("a graph with CEL and a remote step loads the CEL engine and undici", async () => {
    const graph = join(dir, "graph.yaml");
    writeFileSync(
      graph,
      [
        "apiVersion: sluice/v1",
        "kind: Graph",
        "metadata: {name: needs}",
        "spec:",
        "  steps:",
        '    keep: {handler: builtin:filter, args: {expr: "body.amount > 1"}}',
        "    call: {kind: remote, url: http://127.0.0.1:9/score, after: [keep]}",
        "",
      ].join("\n"),
    );
    expect(present(await sluice("validate", "validate", graph))).toEqual(["the CEL engine", "undici"]);
  });

  it("sluice --help loads no graph engine", async () => {
    const files = await sluice("help", "--help");
    expect(present(files)).toEqual([]);
    expect(files.filter((f) => /\/node_modules\/yaml\/|\/dist\/graph\/load\.js$/.test(f))).toEqual([]);
  });
});
