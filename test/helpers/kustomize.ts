import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { inject, onTestFinished } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import type { ClusterObject } from "../../src/runtimes/cluster/index.js";
import { repoRoot } from "./cli.js";

const run = promisify(execFile);

/** deploy/ of this checkout. */
export const deployDir = join(repoRoot, "deploy");

/** Runs the bed's kubectl (built by the global setup); never throws, returns the exit code and output. */
export async function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(inject("kubectl"), args, { maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/**
 * A kustomization of the test's own (removed after it) that takes `deploy/<path>` as a user's
 * overlay would: moved into `namespace` when given, with `components` of deploy/ added.
 * Kustomize wants relative paths, so the folder names deploy/ relative to itself.
 */
export function kustomization(
  path: string,
  options: { namespace?: string; components?: string[] } = {},
): string {
  const dir = mkdtempSync(join(tmpdir(), "sluice-kustomize-"));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const from = (p: string) => relative(dir, join(deployDir, p));
  const document = {
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    ...(options.namespace ? { namespace: options.namespace } : {}),
    resources: [from(path)],
    ...(options.components ? { components: options.components.map(from) } : {}),
  };
  writeFileSync(join(dir, "kustomization.yaml"), stringify(document));
  return dir;
}

/** `kubectl kustomize` of a folder, as objects; throws with kubectl's own words when it fails. */
export async function kustomize(dir: string): Promise<ClusterObject[]> {
  const { code, stdout, stderr } = await kubectl("kustomize", dir);
  if (code !== 0) throw new Error(`kubectl kustomize ${dir} failed (${code}): ${stderr}`);
  return parseAllDocuments(stdout).map((doc) => doc.toJS() as ClusterObject);
}

/** The one object of a kind in a list. */
export function theOne(objects: readonly ClusterObject[], kind: string): ClusterObject {
  const found = objects.filter((o) => o.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0] as ClusterObject;
}
