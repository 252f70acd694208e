import { readGraphFile } from "../../graph/loader.js";
import { functionFromRaw } from "../document/read.js";
import type { AnyFunctionDocument } from "../types.js";
import type { KubeObject } from "./objects.js";
import { type GraphRenderOptions, renderGraph } from "./render-graph.js";
import { renderServingFunction } from "./serving-function.js";

/**
 * What `sluice deploy <file>` renders: a graph document (`kind: Graph`), or a function
 * document (`nuclio`, `serving`; an MLRun export too). Batch kinds are refused with a
 * pointer at `sluice run`.
 */
export async function renderDeployable(file: string, options: GraphRenderOptions): Promise<KubeObject[]> {
  const loaded = await readGraphFile(file);
  const kind = (loaded.raw as { kind?: unknown } | null)?.kind;
  if (kind === "Graph") return renderGraph(file, options);
  const { fn } = functionFromRaw(loaded.raw, file, undefined, loaded.lineOf);
  return renderServingFunction(fn.toDocument() as AnyFunctionDocument, { ...options, file });
}
