import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const bin = fileURLToPath(new URL("../../bin/sluice.js", import.meta.url));
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** Runs the built `sluice` binary (from the repo root) and returns its exit code and output. */
export function sluice(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return sluiceWithEnv({}, ...args);
}

/** `sluice` with variables added to the environment (KUBECONFIG, SLUICE_HOME...). */
export async function sluiceWithEnv(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
