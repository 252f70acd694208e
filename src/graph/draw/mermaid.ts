import { type DrawModel, type DrawNode, kindLine } from "./model.js";

/**
 * Mermaid flowchart text, left to right. Router groups become `subgraph`s that edges can
 * point at directly; error edges are dashed (`-.->`) and coloured by `linkStyle`.
 */
export function drawMermaid(model: DrawModel): string {
  // Mermaid escapes the title itself (`&` would show as `&amp;`): drop what it would mangle.
  const title = JSON.stringify(model.name.replace(/[<>&]/g, ""));
  const lines = ["---", `title: ${title}`, "---", "flowchart LR"];
  for (const node of model.nodes) if (node.group === undefined) lines.push(`  ${declare(node)}`);
  for (const group of model.groups) {
    // One line: Mermaid does not make room for a taller subgraph title.
    const small = escapeMermaid([kindLine(group), ...group.details].join(" · "));
    lines.push(`  subgraph ${group.id}["${escapeMermaid(group.name)} <small>${small}</small>"]`);
    for (const id of group.members) {
      const node = model.nodes.find((n) => n.id === id);
      if (node) lines.push(`    ${declare(node)}`);
    }
    lines.push("  end");
  }
  for (const edge of model.edges) lines.push(`  ${edge.from} ${edge.dashed ? "-.->" : "-->"} ${edge.to}`);

  lines.push(
    "  classDef entry fill:#e2e8f0,stroke:#475569",
    "  classDef marker fill:#fff,stroke:#b91c1c,stroke-dasharray:4 3",
    "  classDef queue fill:#fef3c7,stroke:#b45309",
    "  classDef error fill:#fee2e2,stroke:#b91c1c,stroke-dasharray:4 3",
    "  classDef responder stroke:#15803d,stroke-width:3px",
  );
  for (const shape of ["entry", "marker", "queue", "error"] as const) {
    const ids = model.nodes.filter((n) => n.shape === shape).map((n) => n.id);
    if (ids.length > 0) lines.push(`  class ${ids.join(",")} ${shape}`);
  }
  const responders = [...model.nodes, ...model.groups].filter((u) => u.responder).map((u) => u.id);
  if (responders.length > 0) lines.push(`  class ${responders.join(",")} responder`);
  // linkStyle counts edges in the order they were written above.
  const dashed = model.edges.flatMap((edge, i) => (edge.dashed ? [i] : []));
  if (dashed.length > 0) lines.push(`  linkStyle ${dashed.join(",")} stroke:#b91c1c`);
  return `${lines.join("\n")}\n`;
}

/** A node statement; the bracket pair picks the shape (circle, hexagon, cylinder, box). */
function declare(node: DrawNode): string {
  const text = `"${label(node.name, kindLine(node), node.details)}"`;
  switch (node.shape) {
    case "entry":
      return `${node.id}((${text}))`;
    case "marker":
      return `${node.id}{{${text}}}`;
    case "queue":
      return `${node.id}[(${text})]`;
    default:
      return `${node.id}[${text}]`;
  }
}

/** Name on the first line, kind and details in small print below. */
function label(name: string, kind: string, details: string[]): string {
  const small = [kind, ...details]
    .filter((line) => line !== "")
    .map((line) => `<small>${escapeMermaid(line)}</small>`);
  return [escapeMermaid(name), ...small].join("<br/>");
}

/**
 * Mermaid reads `#name;` as an HTML entity, so every character that could end the quoted
 * label, open a tag, start an entity or look like a style (`:`) is written as one.
 */
export function escapeMermaid(text: string): string {
  return text.replace(/[#"<>&:;`]/g, (c) => `#${c.charCodeAt(0)};`);
}
