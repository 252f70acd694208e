import type { GraphDocument } from "../document.js";
import { drawDot } from "./dot.js";
import type { DrawFormat } from "./formats.js";
import { drawMermaid } from "./mermaid.js";
import { buildDrawModel } from "./model.js";
import { drawSvg } from "./svg.js";

const drawers: Record<DrawFormat, typeof drawSvg> = { mermaid: drawMermaid, dot: drawDot, svg: drawSvg };

/**
 * Draws a graph document's DAG: Mermaid flowchart text, Graphviz DOT, or a self-contained
 * SVG. Steps are boxes with their kind and code, router steps frame their routes, error
 * handlers hang off dashed edges, queue steps show their stream, the responder is marked,
 * and an `event` entry points at the steps that start the flow. The document is drawn as
 * written; it is not validated here.
 */
export function drawGraph(doc: GraphDocument, format: DrawFormat): string {
  return drawers[format](buildDrawModel(doc));
}

export { type DrawFormat, drawFormats, isDrawFormat } from "./formats.js";
export type { DrawEdge, DrawGroup, DrawModel, DrawNode, NodeShape } from "./model.js";
export { buildDrawModel } from "./model.js";
