import type { GraphDocument } from "../document.js";
import { drawDot } from "./dot.js";
import { drawMermaid } from "./mermaid.js";
import { buildDrawModel } from "./model.js";
import { drawSvg } from "./svg.js";

/** The drawing formats of `sluice graph --format`. */
export const drawFormats = ["mermaid", "dot", "svg"] as const;
export type DrawFormat = (typeof drawFormats)[number];

/** True when `value` names a drawing format. */
export function isDrawFormat(value: unknown): value is DrawFormat {
  return typeof value === "string" && (drawFormats as readonly string[]).includes(value);
}

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

export type { DrawEdge, DrawGroup, DrawModel, DrawNode, NodeShape } from "./model.js";
export { buildDrawModel } from "./model.js";
