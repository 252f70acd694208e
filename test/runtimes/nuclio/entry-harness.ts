import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { onTestFinished } from "vitest";
import { type HarnessOptions, NuclioHarness } from "../../infra/nuclio/index.js";

export const nuclioFixtures = fileURLToPath(new URL("../../fixtures/nuclio/", import.meta.url));

/** The built entry Nuclio loads (`npm run build` makes it). */
export const entryFile = fileURLToPath(new URL("../../../dist/runtimes/nuclio/entry.cjs", import.meta.url));

/** A harness running sluice's entry for one function of a fixture graph; closed after the test. */
export async function entryUnder(
  graph: string | undefined,
  fn: string | undefined,
  options: Partial<HarnessOptions> = {},
): Promise<NuclioHarness> {
  if (!existsSync(entryFile)) throw new Error(`${entryFile} is missing: run \`npm run build\` first`);
  const env: Record<string, string> = { SLUICE_GRAPH: "", SLUICE_FUNCTION: "" };
  if (graph !== undefined) env.SLUICE_GRAPH = graph.startsWith("/") ? graph : join(nuclioFixtures, graph);
  if (fn !== undefined) env.SLUICE_FUNCTION = fn;
  return harnessOf({ handlerFile: entryFile, env, ...options });
}

export async function harnessOf(options: HarnessOptions): Promise<NuclioHarness> {
  const harness = await NuclioHarness.start(options);
  onTestFinished(() => harness.close());
  return harness;
}

/** A call as the gateway makes it to a step placed in Nuclio (headers in Go's canonical case). */
export function stepCall(step: string, body: unknown, headers: Record<string, string> = {}) {
  return {
    body: JSON.stringify(body),
    contentType: "application/json",
    headers: {
      "Content-Type": "application/json",
      "X-Sluice-Graph": "entry-test",
      "X-Sluice-Step": step,
      ...headers,
    },
  };
}

export function jsonOf(body: Buffer): unknown {
  return JSON.parse(body.toString("utf8"));
}
