import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { registerGraph } from "../../src/cli/graph.js";
import type { GraphDocument } from "../../src/graph/document.js";
import { drawGraph } from "../../src/graph/draw/index.js";

// DESIGN.md's example: a join (merge), a router with a `name:version` route, a remote step
// with its own error handler that continues at merge, a queue, and a graph-level handler.
const fraud = parseYaml(`
apiVersion: sluice/v1
kind: Graph
metadata: {name: fraud}
spec:
  steps:
    parse:    {handler: ./steps.mjs#parse}
    enrich:   {class: ./steps.mjs#Enricher, after: [parse]}
    models:
      kind: router
      type: model
      after: [enrich]
      routes:
        fraud:    {kind: model, class: ./models.mjs#Fraud}
        fraud:v2: {kind: model, class: ./models.mjs#FraudV2}
    score_api: {kind: remote, url: http://scorer:8080/score, after: [enrich], on_error: fallback}
    merge:    {handler: ./steps.mjs#merge, after: [models, score_api]}
    audit:    {kind: queue, stream: kafka://audit-events, after: [merge]}
    store:    {handler: ./steps.mjs#store, after: [audit]}
    oops:     {kind: error, handler: ./steps.mjs#recover}
    fallback: {kind: error, handler: ./steps.mjs#fallback, before: [merge]}
  responder: merge
  on_error: oops
`) as GraphDocument;

/** `from -> to` for solid edges, `from -.-> to` for error edges, by the names a reader sees. */
const fraudEdges = [
  "event -> parse",
  "parse -> enrich",
  "enrich -> models",
  "enrich -> score_api",
  "models -> merge",
  "score_api -> merge",
  "merge -> audit",
  "audit -> store",
  "score_api -.-> fallback",
  "fallback -.-> merge",
  "graph -.-> oops",
].sort();

const fraudBoxes = [
  ...["parse", "enrich", "models", "score_api", "merge", "audit", "store", "oops", "fallback"],
  ...["fraud", "fraud:v2"],
].sort();

describe("sluice graph --format mermaid", () => {
  const text = drawGraph(fraud, "mermaid");
  const { names, edges } = readMermaid(text);

  it("draws each `after` once, the router as a subgraph that edges enter and leave, and error edges dashed", () => {
    expect(
      edges.map((e) => `${names.get(e.from)} ${e.dashed ? "-.->" : "->"} ${names.get(e.to)}`).sort(),
    ).toEqual(fraudEdges);
    expect(text).toMatch(/subgraph g_models\[/);
  });

  it("puts the routes inside their router's subgraph", () => {
    const inside = text.slice(text.indexOf("subgraph g_models"), text.indexOf("\n  end"));
    expect(inside).toContain("r_models_fraud[");
    expect(inside).toContain("r_models_fraud_v2[");
  });

  it("shows the queue as a cylinder with its stream, and marks the responder", () => {
    expect(text).toMatch(
      /s_audit\[\("audit<br\/><small>queue<\/small><br\/><small>kafka#58;\/\/audit-events/,
    );
    expect(text).toMatch(/class s_merge responder/);
    expect(text).toContain("task · responder");
  });
});

describe("sluice graph --format dot", () => {
  const text = drawGraph(fraud, "dot");
  const { names, edges } = readDot(text);

  it("draws the same edges, entering and leaving the router's cluster through lhead/ltail", () => {
    expect(
      edges.map((e) => `${names.get(e.from)} ${e.dashed ? "-.->" : "->"} ${names.get(e.to)}`).sort(),
    ).toEqual(fraudEdges);
    expect(text).toContain("compound=true");
    expect(text).toMatch(/subgraph "cluster_g_models" \{/);
  });

  it("shows the queue as a cylinder and the route name `fraud:v2` as written", () => {
    expect(text).toMatch(/"s_audit" \[label=<audit<BR\/>.*kafka:\/\/audit-events.*shape=cylinder/);
    expect(names.get("r_models_fraud_v2")).toBe("fraud:v2");
  });
});

describe("sluice graph --format svg", () => {
  const text = drawGraph(fraud, "svg");

  it("is a well-formed, self-contained SVG document", () => {
    expect(wellFormed(text)).toBe("svg");
    expect(text).not.toMatch(/<script|@import|@font-face|href="http|url\(http/i);
  });

  it("has one box per step and route, and one path per edge, joining the right boxes", () => {
    const boxes = readSvgBoxes(text);
    expect(
      boxes
        .filter((b) => b.step !== undefined)
        .map((b) => b.step!)
        .sort(),
    ).toEqual(fraudBoxes);
    const nameOf = new Map(boxes.map((b) => [b.id, b.step ?? b.label]));
    const paths = [...text.matchAll(/<path class="sl-edge( sl-dashed)?" data-from="(\w+)" data-to="(\w+)"/g)];
    expect(
      paths
        .map(([, dashed, from, to]) => `${nameOf.get(from!)} ${dashed ? "-.->" : "->"} ${nameOf.get(to!)}`)
        .sort(),
    ).toEqual(fraudEdges);
  });

  it("lays out boxes without overlaps, routes inside their router's frame", () => {
    const boxes = readSvgBoxes(text);
    const frame = boxes.find((b) => b.step === "models")!;
    for (const route of boxes.filter((b) => b.step === "fraud" || b.step === "fraud:v2")) {
      expect(contains(frame, route), `${route.step} inside models`).toBe(true);
    }
    const free = boxes.filter((b) => b.step !== "fraud" && b.step !== "fraud:v2");
    for (const [i, a] of free.entries()) {
      for (const b of free.slice(i + 1)) expect(overlap(a, b), `${a.id} / ${b.id}`).toBe(false);
    }
    const routes = boxes.filter((b) => b.step === "fraud" || b.step === "fraud:v2");
    expect(overlap(routes[0]!, routes[1]!)).toBe(false);
  });

  it("flows left to right: every solid edge ends to the right of where it starts", () => {
    const boxes = new Map(readSvgBoxes(text).map((b) => [b.id, b]));
    for (const [, from, to] of text.matchAll(/<path class="sl-edge" data-from="(\w+)" data-to="(\w+)"/g)) {
      expect(boxes.get(to!)!.x, `${from} -> ${to}`).toBeGreaterThan(boxes.get(from!)!.x);
    }
  });
});

/** A random graph: each step comes after some earlier ones; some are routers, queues or error handlers. */
const randomGraphs = fc.integer({ min: 1, max: 18 }).chain((size) =>
  fc.tuple(
    ...Array.from({ length: size }, (_, i) =>
      fc.record({
        after: fc.subarray(
          Array.from({ length: i }, (_, j) => `s${j}`),
          { maxLength: Math.min(i, 3) },
        ),
        kind: fc.constantFrom("task", "task", "router", "queue", "error"),
        routes: fc.integer({ min: 0, max: 3 }),
        name: fc.string({ maxLength: 30 }),
      }),
    ),
  ),
);

function randomDocument(
  steps: { after: string[]; kind: string; routes: number; name: string }[],
): GraphDocument {
  const spec = Object.fromEntries(
    steps.map((s, i) => {
      const routes = Object.fromEntries(
        Array.from({ length: s.routes }, (_, k) => [`r${k}`, { kind: "model" }]),
      );
      const error = s.kind === "error";
      return [
        `s${i}`,
        {
          kind: s.kind,
          handler: s.name,
          ...(error ? { before: s.after } : { after: s.after, on_error: "s0" }),
          ...(s.kind === "router" ? { routes } : {}),
        },
      ];
    }),
  );
  return {
    apiVersion: "sluice/v1",
    kind: "Graph",
    metadata: { name: "random" },
    // Unvalidated on purpose: kinds and fields are mixed freely.
    spec: { steps: spec as NonNullable<GraphDocument["spec"]["steps"]>, on_error: "s0" },
  };
}

describe("any graph, even an invalid one with cycles", () => {
  it("draws a well-formed SVG with one path per edge and no overlapping boxes", () => {
    fc.assert(
      fc.property(randomGraphs, (steps) => {
        const doc = randomDocument(steps);
        const svg = drawGraph(doc, "svg");
        expect(wellFormed(svg)).toBe("svg");
        expect(svg).not.toMatch(/NaN|Infinity/);
        const { edges } = readMermaid(drawGraph(doc, "mermaid"));
        expect(svg.match(/<path class="sl-edge/g)?.length ?? 0).toBe(edges.length);
        const boxes = readSvgBoxes(svg).filter((b) => !b.id.startsWith("r_"));
        for (const [i, a] of boxes.entries()) {
          for (const b of boxes.slice(i + 1)) expect(overlap(a, b), `${a.id} / ${b.id}`).toBe(false);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe("labels with characters that mean something to the format", () => {
  const nasty = 'a "quoted" <step> & #1: x';
  const doc = parseYaml(`
apiVersion: sluice/v1
kind: Graph
metadata: {name: nasty}
spec:
  steps:
    '${nasty}': {handler: "./s.mjs#a<b>&c"}
    pick:
      kind: router
      type: switch
      after: ['${nasty}']
      routes:
        "big:v2": {kind: model, class: ./m.mjs#Big, when: 'body.amount > 1000 && headers["x"] == "y"'}
`) as GraphDocument;

  it("come back unchanged from mermaid, with no raw quote, angle bracket or ampersand in a label", () => {
    const text = drawGraph(doc, "mermaid");
    const { names } = readMermaid(text);
    expect([...names.values()]).toEqual(expect.arrayContaining([nasty, "big:v2", "pick"]));
    for (const label of text.matchAll(/\["(.*)"\]/g)) {
      const bare = label[1]!.replace(/<\/?small>|<br\/>/g, "");
      expect(bare).not.toMatch(/["<>&]/);
    }
  });

  it("come back unchanged from dot, and its HTML labels stay well-formed", () => {
    const text = drawGraph(doc, "dot");
    const { names } = readDot(text);
    expect([...names.values()]).toEqual(expect.arrayContaining([nasty, "big:v2", "pick"]));
    for (const [, label] of text.matchAll(/label=<(.*?)>(?:[,;]|\])/g))
      expect(wellFormed(`<l>${label}</l>`)).toBe("l");
  });

  it("come back unchanged from svg, which stays well-formed", () => {
    const text = drawGraph(doc, "svg");
    expect(wellFormed(text)).toBe("svg");
    expect(readSvgBoxes(text).map((b) => b.step)).toEqual(expect.arrayContaining([nasty, "big:v2", "pick"]));
  });
});

describe("a topology: router document", () => {
  const doc = parseYaml(`
apiVersion: sluice/v1
kind: Graph
metadata: {name: iris}
spec:
  topology: router
  router:
    type: ensemble
    routes:
      a: {kind: model, class: ./m.mjs#A}
      b: {kind: model, class: ./m.mjs#B}
`) as GraphDocument;

  it("is drawn as one router group, named after the graph, holding the routes, fed by the event", () => {
    const { names, edges } = readMermaid(drawGraph(doc, "mermaid"));
    expect(edges.map((e) => `${names.get(e.from)} -> ${names.get(e.to)}`)).toEqual(["event -> iris"]);
    const svg = drawGraph(doc, "svg");
    expect(readSvgBoxes(svg).flatMap((b) => (b.step ? [b.step] : []))).toEqual(["iris", "a", "b"]);
    expect(svg).toContain('class="sl-router sl-responder"');
  });
});

describe("sluice graph <file>", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "sluice-draw-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const run = async (...args: string[]) => {
    const program = new Command("sluice").exitOverride();
    registerGraph(program);
    await program.parseAsync(["graph", ...args], { from: "user" });
  };

  it("writes the drawing to the file given with -o", async () => {
    const file = join(dir, "fraud.json");
    await writeFile(file, JSON.stringify(fraud));
    await run(file, "--format", "dot", "-o", join(dir, "fraud.dot"));
    expect(await readFile(join(dir, "fraud.dot"), "utf8")).toBe(drawGraph(fraud, "dot"));
  });

  it("rejects an unknown --format as a usage error that lists the formats", async () => {
    await expect(run(join(dir, "missing.yaml"), "--format", "png")).rejects.toMatchObject({
      code: "SLUICE_ERR_USAGE",
      hint: "use one of: mermaid, dot, svg",
    });
  });
});

// ---- reading the drawings back ---------------------------------------------------------------

interface Edge {
  from: string;
  to: string;
  dashed: boolean;
}

/** Node and subgraph ids with the names they show (the first label line), and the edges. */
function readMermaid(text: string): { names: Map<string, string>; edges: Edge[] } {
  const decode = (s: string) => s.replace(/#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
  const names = new Map<string, string>();
  const edges: Edge[] = [];
  for (const line of text.split("\n")) {
    const node = /^\s*(?:subgraph )?(\w+)(?:\(\(|\{\{|\[\(|\[)"(.*?)(?:<br\/>| <small>|")/.exec(line);
    const edge = /^\s*(\w+) (-->|-\.->) (\w+)$/.exec(line);
    if (edge) edges.push({ from: edge[1]!, to: edge[3]!, dashed: edge[2] === "-.->" });
    else if (node) names.set(node[1]!, decode(node[2]!));
  }
  return { names, edges };
}

/** The same for DOT; an edge clipped at a cluster (`lhead`/`ltail`) belongs to the cluster. */
function readDot(text: string): { names: Map<string, string>; edges: Edge[] } {
  const decode = (s: string) =>
    s.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
  const names = new Map<string, string>();
  const edges: Edge[] = [];
  let cluster: string | undefined;
  for (const line of text.split("\n")) {
    const open = /^\s*subgraph "cluster_(\w+)" \{/.exec(line);
    const label = /^\s*label=<([^<]*)/.exec(line);
    const node = /^\s*"(\w+)" \[label=<([^<>]*)/.exec(line);
    const edge = /^\s*"(\w+)" -> "(\w+)"(?: \[(.*)\])?;$/.exec(line);
    if (open) cluster = open[1];
    else if (label && cluster) names.set(cluster, decode(label[1]!));
    else if (node) names.set(node[1]!, decode(node[2]!));
    else if (edge) {
      const attrs = edge[3] ?? "";
      edges.push({
        from: /ltail="cluster_(\w+)"/.exec(attrs)?.[1] ?? edge[1]!,
        to: /lhead="cluster_(\w+)"/.exec(attrs)?.[1] ?? edge[2]!,
        dashed: attrs.includes("style=dashed"),
      });
    }
  }
  return { names, edges };
}

interface SvgBox {
  id: string;
  /** The step or route name (data-step); undefined for the event entry and the graph marker. */
  step: string | undefined;
  label: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Each node or frame group with its first rect and its name text. */
function readSvgBoxes(text: string): SvgBox[] {
  const decode = (s: string) =>
    s.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
  const groups = text.matchAll(
    /<g class="[^"]*" data-id="(\w+)"(?: data-step="([^"]*)")?>[\s\S]*?<rect class="sl-(?:box|frame)" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"[\s\S]*?<text class="sl-name"[^>]*>([^<]*)</g,
  );
  return [...groups].map(([, id, step, x, y, width, height, label]) => ({
    id: id!,
    step: step === undefined ? undefined : decode(step),
    label: decode(label!),
    x: Number(x),
    y: Number(y),
    width: Number(width),
    height: Number(height),
  }));
}

function overlap(a: SvgBox, b: SvgBox): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

function contains(outer: SvgBox, inner: SvgBox): boolean {
  return (
    inner.x >= outer.x &&
    inner.y >= outer.y &&
    inner.x + inner.width <= outer.x + outer.width &&
    inner.y + inner.height <= outer.y + outer.height
  );
}

/**
 * A small XML well-formedness check (no DOM here): tags balance, attributes are quoted, and
 * text and attribute values hold no raw `<` and no `&` that does not start an entity.
 * Returns the root element's name.
 */
function wellFormed(xml: string): string {
  const entity = /&(?:#\d+|#x[0-9a-fA-F]+|amp|lt|gt|quot|apos);/g;
  const clean = (s: string, where: string) => {
    if (/[<&]/.test(s.replace(entity, ""))) throw new Error(`raw < or & in ${where}: ${s.slice(0, 80)}`);
  };
  const tag = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"]*")*)\s*(\/?)>/g;
  const stack: string[] = [];
  let root: string | undefined;
  let at = 0;
  for (const match of xml.matchAll(tag)) {
    clean(xml.slice(at, match.index), "text");
    at = match.index + match[0].length;
    const [, closing, name, attrs, selfClosing] = match;
    for (const [, value] of attrs!.matchAll(/="([^"]*)"/g)) clean(value!, `an attribute of <${name}>`);
    if (closing) {
      if (stack.pop() !== name) throw new Error(`</${name}> closes nothing open`);
    } else {
      if (stack.length === 0) {
        if (root !== undefined) throw new Error("more than one root element");
        root = name;
      }
      if (!selfClosing) stack.push(name!);
    }
  }
  clean(xml.slice(at), "text");
  if (stack.length > 0) throw new Error(`<${stack.at(-1)}> is never closed`);
  if (root === undefined) throw new Error("no element");
  if (xml.slice(0, xml.indexOf("<")).trim() !== "") throw new Error("text before the root element");
  return root;
}
