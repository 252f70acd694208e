import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { onTestFinished } from "vitest";
import type { KubeObject } from "../../../src/runtimes/render/index.js";

/** Writes a graph and its modules into a fresh folder (removed after the test); returns the graph's path. */
export async function graphFolder(files: Record<string, string>, graph = "graph.yaml"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "sluice-render-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return join(dir, graph);
}

export const stepsModule = `
export function a(body) { return { ...body, a: true }; }
export function b(body) { return { ...body, b: true }; }
export function c(body) { return { ...body, c: true }; }
export function recover(event) { return { recovered: event.error.message }; }
`;

/** A graph `shop` with the given steps (YAML lines under `steps:`) and stepsModule beside it. */
export function flow(steps: string, extra = ""): Record<string, string> {
  return {
    "graph.yaml": `apiVersion: sluice/v1\nkind: Graph\nmetadata: {name: shop}\nspec:\n  steps:\n${steps}${extra}`,
    "steps.mjs": stepsModule,
  };
}

/** The one object of a kind and name. */
export function objectOf(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) {
    const have = objects.map((o) => `${o.kind}/${o.metadata.name}`).join(", ");
    throw new Error(`no ${kind}/${name} among ${have}`);
  }
  return found;
}

/** A NuclioFunction's spec, typed loosely for assertions. */
export function specOf(object: KubeObject): Record<string, unknown> & {
  env: { name: string; value?: string; valueFrom?: unknown }[];
  triggers: Record<string, Record<string, unknown>>;
  volumes: { volume: Record<string, unknown>; volumeMount: Record<string, unknown> }[];
} {
  return object.spec as never;
}

/** A fresh folder, removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "sluice-mount-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
