import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const bin = fileURLToPath(new URL("../../bin/sluice.js", import.meta.url));

/** Runs the installed `sluice` binary and returns its exit code and output. */
async function sluice(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

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

  it("says a command is not built yet and exits 2, without a stack trace", async () => {
    const { code, stderr } = await sluice("deploy", "graph.yaml", "--dry-run");
    expect(code).toBe(2);
    expect(stderr).toBe(
      "sluice: `sluice deploy` is not built yet\nhint: see `sluice --help` for the commands that work today\n",
    );
  });
});
