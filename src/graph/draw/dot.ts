import { type DrawModel, type DrawNode, kindLine } from "./model.js";

/**
 * Graphviz DOT, left to right. Router groups become `cluster` subgraphs; since DOT edges
 * join nodes, an edge to or from a group is drawn to one of its routes and clipped at the
 * frame with `lhead` / `ltail` (hence `compound=true`).
 */
export function drawDot(model: DrawModel): string {
  const lines = [
    `digraph ${quote(model.name)} {`,
    `  graph [rankdir=LR, compound=true, fontname="Helvetica", nodesep=0.3, ranksep=0.5];`,
    `  node [shape=box, style="rounded,filled", fillcolor="#ffffff", color="#475569", fontname="Helvetica", fontsize=12];`,
    `  edge [color="#475569", arrowsize=0.8];`,
  ];
  for (const node of model.nodes) if (node.group === undefined) lines.push(`  ${declare(node)}`);

  const anchors = new Map<string, string>();
  for (const group of model.groups) {
    lines.push(`  subgraph ${quote(clusterId(group.id))} {`);
    lines.push(`    label=<${label(group.name, kindLine(group), group.details)}>;`);
    lines.push(`    style="rounded,filled"; fillcolor="#f8fafc"; labeljust="l";`);
    lines.push(group.responder ? `    color="#15803d"; penwidth=2.5;` : `    color="#94a3b8";`);
    for (const id of group.members) {
      const node = model.nodes.find((n) => n.id === id);
      if (node) lines.push(`    ${declare(node)}`);
    }
    // An edge needs a node to land on: the middle route, or a placeholder in an empty router.
    let anchor = group.members[Math.floor(group.members.length / 2)];
    if (anchor === undefined) {
      anchor = `${group.id}__empty`;
      lines.push(`    ${quote(anchor)} [shape=plaintext, style="", label="no routes"];`);
    }
    anchors.set(group.id, anchor);
    lines.push("  }");
  }

  for (const edge of model.edges) {
    const attrs: string[] = [];
    const from = anchors.get(edge.from);
    const to = anchors.get(edge.to);
    if (from !== undefined) attrs.push(`ltail=${quote(clusterId(edge.from))}`);
    if (to !== undefined) attrs.push(`lhead=${quote(clusterId(edge.to))}`);
    if (edge.dashed) attrs.push(`style=dashed, color="#b91c1c"`);
    const list = attrs.length > 0 ? ` [${attrs.join(", ")}]` : "";
    lines.push(`  ${quote(from ?? edge.from)} -> ${quote(to ?? edge.to)}${list};`);
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

/** The cluster subgraph name: DOT draws a frame only for subgraphs named `cluster…`. */
function clusterId(groupId: string): string {
  return `cluster_${groupId}`;
}

function declare(node: DrawNode): string {
  const attrs = [`label=<${label(node.name, kindLine(node), node.details)}>`];
  switch (node.shape) {
    case "entry":
      attrs.push(`shape=circle, fillcolor="#e2e8f0"`);
      break;
    case "marker":
      attrs.push(`shape=hexagon, style="dashed", color="#b91c1c"`);
      break;
    case "queue":
      attrs.push(`shape=cylinder, style="filled", fillcolor="#fef3c7", color="#b45309"`);
      break;
    case "error":
      attrs.push(`style="rounded,filled,dashed", fillcolor="#fee2e2", color="#b91c1c"`);
      break;
    default:
      break;
  }
  if (node.responder) attrs.push(`penwidth=2.5, color="#15803d"`);
  return `${quote(node.id)} [${attrs.join(", ")}];`;
}

/** An HTML-like label: the name, then kind and details in small grey print. */
function label(name: string, kind: string, details: string[]): string {
  const small = [kind, ...details]
    .filter((line) => line !== "")
    .map((line) => `<FONT POINT-SIZE="9" COLOR="#64748b">${escapeDotHtml(line)}</FONT>`);
  return [escapeDotHtml(name), ...small].join("<BR/>");
}

/** HTML-like labels are XML: `&`, `<`, `>` and quotes must be entities. */
export function escapeDotHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A DOT quoted id: only `"` and a trailing backslash need care inside quotes. */
function quote(id: string): string {
  return `"${id
    .replace(/\\/g, "\\\\")
    .replace(/"/g, '\\"')
    .replace(/[\r\n]+/g, " ")}"`;
}
