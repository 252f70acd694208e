import { type DrawGroup, type DrawModel, type DrawNode, kindLine } from "./model.js";
import { type Box, type Point, place, type Size } from "./place.js";

/**
 * A self-contained SVG: no fonts, scripts or links to fetch, so it can be opened from disk,
 * attached to a ticket or inlined in a page (classes and ids carry an `sl-` prefix for that).
 */

const NAME_FONT = 13;
const SMALL_FONT = 11;
const LINE = { name: 17, small: 14 };
const PAD = { x: 12, top: 8, bottom: 7 };
/** Rough advance widths per character (no font metrics without a browser); erring wide. */
const ADVANCE = { name: 8, kind: 6.3, detail: 6.7 };
/** Longer lines are cut with an ellipsis; the full text is in the box's tooltip. */
const MAX_CHARS = 42;
/** Width of the visible end of a queue's cylinder. */
const CYLINDER_END = 8;

const COLOURS = {
  ink: "#0f172a",
  muted: "#64748b",
  line: "#475569",
  error: "#b91c1c",
  responder: "#15803d",
};

const STYLE = `
.sl-name{font:600 ${NAME_FONT}px system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;fill:${COLOURS.ink}}
.sl-kind{font:${SMALL_FONT}px system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;fill:${COLOURS.muted}}
.sl-detail{font:${SMALL_FONT}px ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;fill:${COLOURS.muted}}
.sl-box{fill:#fff;stroke:${COLOURS.line};stroke-width:1.2}
.sl-model .sl-box{fill:#eff6ff}
.sl-remote .sl-box{fill:#f5f3ff}
.sl-queue .sl-box,.sl-queue-end{fill:#fef3c7;stroke:#b45309;stroke-width:1.2}
.sl-error .sl-box{fill:#fef2f2;stroke:${COLOURS.error};stroke-dasharray:5 3}
.sl-entry .sl-box{fill:#e2e8f0}
.sl-marker .sl-box{fill:#fff;stroke:${COLOURS.error};stroke-dasharray:5 3}
.sl-frame{fill:#f8fafc;stroke:#94a3b8;stroke-width:1.2}
.sl-responder>.sl-box,.sl-responder>.sl-frame{stroke:${COLOURS.responder};stroke-width:2.5}
.sl-edge{fill:none;stroke:${COLOURS.line};stroke-width:1.4}
.sl-edge.sl-dashed{stroke:${COLOURS.error};stroke-dasharray:6 4}
`;

/** Draws the model as an SVG document. */
export function drawSvg(model: DrawModel): string {
  const layout = place(model, { node: nodeSize, header: headerSize });
  const box = (id: string) => layout.boxes.get(id)!;
  const suffix = model.name.replace(/[^A-Za-z0-9_-]/g, "_");
  const arrow = `sl-arrow-${suffix}`;
  const errorArrow = `sl-arrow-error-${suffix}`;
  const width = Math.ceil(layout.width);
  const height = Math.ceil(layout.height);

  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">`,
    `<title>${xml(`graph ${model.name}`)}</title>`,
    `<style>${STYLE}</style>`,
    "<defs>",
    arrowHead(arrow, COLOURS.line),
    arrowHead(errorArrow, COLOURS.error),
    "</defs>",
    `<rect width="100%" height="100%" fill="#fff"/>`,
  ];
  // Frames first, then edges, then boxes: edges pass over frames but under boxes.
  for (const group of model.groups) out.push(...drawFrame(group, box(group.id)));
  for (const { edge, points } of layout.routes) {
    const kind = edge.dashed ? "sl-edge sl-dashed" : "sl-edge";
    const end = edge.dashed ? errorArrow : arrow;
    out.push(
      `<path class="${kind}" data-from="${xml(edge.from)}" data-to="${xml(edge.to)}" d="${curve(points)}" marker-end="url(#${end})"/>`,
    );
  }
  for (const node of model.nodes) out.push(...drawNode(node, box(node.id)));
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

function arrowHead(id: string, colour: string): string {
  return `<marker id="${id}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0L10,5L0,10z" fill="${colour}"/></marker>`;
}

/** The lines written in a box: name, kind, then details. */
function linesOf(unit: { name: string; kind: string; details: string[]; responder: boolean }) {
  return { name: unit.name, kind: kindLine(unit), details: unit.details };
}

function textSize(lines: { name: string; kind: string; details: string[] }): Size {
  const chars = (s: string) => Math.min(MAX_CHARS, [...s].length);
  const width = Math.max(
    chars(lines.name) * ADVANCE.name,
    chars(lines.kind) * ADVANCE.kind,
    ...lines.details.map((d) => chars(d) * ADVANCE.detail),
  );
  const small = (lines.kind === "" ? 0 : 1) + lines.details.length;
  return { width: width + 2 * PAD.x, height: PAD.top + LINE.name + small * LINE.small + PAD.bottom };
}

function nodeSize(node: DrawNode): Size {
  const size = textSize(linesOf(node));
  if (node.shape === "entry" || node.shape === "marker") size.width += 16; // room for the round ends
  if (node.shape === "queue") size.width += 2 * CYLINDER_END;
  return { width: Math.max(size.width, node.shape === "entry" ? 64 : 96), height: size.height };
}

function headerSize(group: DrawGroup): Size {
  return textSize(linesOf(group));
}

function drawNode(node: DrawNode, box: Box): string[] {
  const classes = ["sl-node", `sl-${node.shape}`];
  if (node.shape === "step") classes.push(`sl-${node.kind.replace(/[^a-z]/g, "")}`);
  if (node.responder) classes.push("sl-responder");
  // Only steps and routes carry data-step, so a box per step can be found and counted.
  const isStep = node.shape !== "entry" && node.shape !== "marker";
  const step = isStep ? ` data-step="${xml(node.name)}"` : "";
  const lines = linesOf(node);
  const round = node.shape === "entry" || node.shape === "marker" ? box.height / 2 : 8;
  const out = [
    `<g class="${classes.join(" ")}" data-id="${node.id}"${step}>`,
    `<title>${xml([node.name, lines.kind, ...node.details].filter(Boolean).join("\n"))}</title>`,
  ];
  if (node.shape === "queue") {
    // A cylinder on its side: elliptic ends, the right one seen face on.
    out.push(`<rect class="sl-box" ${rect(box)} rx="${CYLINDER_END}" ry="${r(box.height / 2)}"/>`);
    const cx = box.x + box.width - CYLINDER_END;
    out.push(
      `<ellipse class="sl-queue-end" cx="${r(cx)}" cy="${r(box.y + box.height / 2)}" rx="${CYLINDER_END}" ry="${r(box.height / 2)}"/>`,
    );
  } else {
    out.push(`<rect class="sl-box" ${rect(box)} rx="${r(round)}"/>`);
  }
  const centre = node.shape === "queue" ? box.x + box.width / 2 - CYLINDER_END / 2 : box.x + box.width / 2;
  out.push(...drawText(lines, centre, box.y));
  out.push("</g>");
  return out;
}

function drawFrame(group: DrawGroup, box: Box): string[] {
  const classes = group.responder ? "sl-router sl-responder" : "sl-router";
  const lines = linesOf(group);
  return [
    `<g class="${classes}" data-id="${group.id}" data-step="${xml(group.name)}">`,
    `<title>${xml([group.name, lines.kind, ...group.details].filter(Boolean).join("\n"))}</title>`,
    `<rect class="sl-frame" ${rect(box)} rx="10"/>`,
    ...drawText(lines, box.x + box.width / 2, box.y),
    "</g>",
  ];
}

function drawText(
  lines: { name: string; kind: string; details: string[] },
  x: number,
  top: number,
): string[] {
  const out: string[] = [];
  let y = top + PAD.top + NAME_FONT;
  out.push(
    `<text class="sl-name" x="${r(x)}" y="${r(y)}" text-anchor="middle">${xml(cut(lines.name))}</text>`,
  );
  y += LINE.name - NAME_FONT + SMALL_FONT;
  const small: [string, string][] = [];
  if (lines.kind !== "") small.push(["sl-kind", lines.kind]);
  for (const detail of lines.details) small.push(["sl-detail", detail]);
  for (const [cls, text] of small) {
    out.push(`<text class="${cls}" x="${r(x)}" y="${r(y)}" text-anchor="middle">${xml(cut(text))}</text>`);
    y += LINE.small;
  }
  return out;
}

/** Smooth S-curves between points, leaving and entering each point level (arrowheads stay horizontal). */
function curve(points: Point[]): string {
  const [first, ...rest] = points;
  if (first === undefined) return "";
  let d = `M${r(first.x)},${r(first.y)}`;
  let from = first;
  for (const to of rest) {
    const mid = r((from.x + to.x) / 2);
    d +=
      from.y === to.y
        ? `L${r(to.x)},${r(to.y)}`
        : `C${mid},${r(from.y)} ${mid},${r(to.y)} ${r(to.x)},${r(to.y)}`;
    from = to;
  }
  return d;
}

function rect(box: Box): string {
  return `x="${r(box.x)}" y="${r(box.y)}" width="${r(box.width)}" height="${r(box.height)}"`;
}

function r(n: number): number {
  return Math.round(n * 10) / 10;
}

function cut(text: string): string {
  const chars = [...text];
  return chars.length > MAX_CHARS ? `${chars.slice(0, MAX_CHARS - 1).join("")}…` : text;
}

/** Text and attribute values: the five XML specials (model text is already free of control characters). */
export function xml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
