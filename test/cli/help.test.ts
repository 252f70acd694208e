import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

  it("says in one line when the kubeconfig to deploy with does not exist, exit 1", async () => {
    const { code, stderr } = await sluice(
      "deploy",
      "examples/enrichment/graph.yaml",
      "--image",
      "reg/sluice:1",
      "--kubeconfig",
      "/nonexistent/kubeconfig",
    );
    expect(code).toBe(1);
    expect(stderr).toBe("sluice: kubeconfig /nonexistent/kubeconfig does not exist\n");
  });

  it("names the API server it cannot reach, exit 3, without a stack trace", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-kubeconfig-"));
    const kubeconfig = join(dir, "config");
    writeFileSync(
      kubeconfig,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1', insecure-skip-tls-verify: true}}]",
        "users: [{name: u, user: {token: t}}]",
        "contexts: [{name: x, context: {cluster: c, user: u, namespace: ml}}]",
        "current-context: x",
        "",
      ].join("\n"),
    );
    const { code, stderr } = await sluice(
      "deploy",
      "examples/enrichment/graph.yaml",
      "--image",
      "reg/sluice:1",
      "--kubeconfig",
      kubeconfig,
    );
    expect(code).toBe(3);
    expect(stderr).toBe(
      "sluice: cannot list NuclioProject in namespace ml: the API server at https://127.0.0.1:1 cannot be reached (ECONNREFUSED)\nhint: check the kubeconfig's server address and that the cluster is up\n",
    );
  });
});
