import { describe, expect, it } from "vitest";
import { sluice } from "../helpers/cli.js";

describe("sluice --help", () => {
  it("lists every command of the design", async () => {
    const { code, stdout } = await sluice("--help");
    expect(code).toBe(0);
    for (const command of ["serve", "invoke", "validate", "graph", "deploy", "run", "functions", "bench"]) {
      expect(stdout).toMatch(new RegExp(`^  ${command} `, "m"));
    }
  });

  it("prints the package version", async () => {
    const { code, stdout } = await sluice("--version");
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("answers an unknown command with a usage error (exit 2)", async () => {
    const { code, stderr } = await sluice("nonsense");
    expect(code).toBe(2);
    expect(stderr).toContain("unknown command 'nonsense'");
  });

  it("says applying to a cluster is not built yet and exits 2, without a stack trace", async () => {
    const { code, stderr } = await sluice(
      "deploy",
      "examples/enrichment/graph.yaml",
      "--image",
      "reg/sluice:1",
    );
    expect(code).toBe(2);
    expect(stderr).toBe(
      "sluice: applying to a cluster is not built yet\nhint: add --dry-run to print the objects (e.g. for `kubectl apply -f -`)\n",
    );
  });
});
