import { layer } from "./layers.js";
import { type DrawEdge, type DrawGroup, type DrawModel, type DrawNode, ENTRY_ID } from "./model.js";

/**
 * The geometric half of the layered drawing: columns left to right, boxes placed near the
 * average height of their neighbours without overlapping, router frames around their
 * routes, and each edge as a polyline that the renderer smooths.
 */

export interface Size {
  width: number;
  height: number;
}
export interface Box extends Size {
  x: number;
  y: number;
}
export interface Point {
  x: number;
  y: number;
}

export interface Measure {
  node(node: DrawNode): Size;
  /** The title area at the top of a router frame. */
  header(group: DrawGroup): Size;
}

export interface Placement extends Size {
  /** Every node's and group's box, by id. */
  boxes: Map<string, Box>;
  /** Per model edge, in order: points from its source to its target. */
  routes: { edge: DrawEdge; points: Point[] }[];
}

const MARGIN = 20;
const COLUMN_GAP = 64;
const ROW_GAP = 22;
/** Long edges need less room than boxes. */
const DUMMY_GAP = 12;
const FRAME_PAD = 10;
const ROUTE_GAP = 8;
/** Alternate passes pulling each column towards its left, then right, neighbours. */
const PASSES = 7;
const PORT_SPACING = 10;

/** Lays the model out left to right; `measure` gives the size a box needs for its text. */
export function place(model: DrawModel, measure: Measure): Placement {
  const unitOf = new Map<string, string>();
  const size = new Map<string, Size>();
  for (const node of model.nodes) {
    unitOf.set(node.id, node.group ?? node.id);
    if (node.group === undefined) size.set(node.id, measure.node(node));
  }
  const memberSize = new Map(model.nodes.filter((n) => n.group).map((n) => [n.id, measure.node(n)]));
  for (const group of model.groups) {
    unitOf.set(group.id, group.id);
    size.set(group.id, frameSize(group, measure.header(group), memberSize));
  }
  const units = [...size.keys()];
  const links = model.edges.map((e) => ({
    from: unitOf.get(e.from)!,
    to: unitOf.get(e.to)!,
    weak: e.dashed,
  }));
  const { layers, chains, reversed, dummies } = layer(units, links, ENTRY_ID);
  const sizeOf = (id: string) => size.get(id) ?? { width: 0, height: 0 };

  // Columns: as wide as their widest box, boxes centred in them.
  const columnX: number[] = [];
  const columnWidth = layers.map((column) => Math.max(0, ...column.map((id) => sizeOf(id).width)));
  let x = MARGIN;
  for (const width of columnWidth) {
    columnX.push(x);
    x += width + COLUMN_GAP;
  }

  const top = placeRows(layers, chains, sizeOf, dummies);
  const boxes = new Map<string, Box>();
  layers.forEach((column, i) => {
    for (const id of column) {
      if (dummies.has(id)) continue;
      const { width, height } = sizeOf(id);
      boxes.set(id, { x: columnX[i]! + (columnWidth[i]! - width) / 2, y: top.get(id)!, width, height });
    }
  });
  for (const group of model.groups) placeMembers(group, boxes, measure.header(group), memberSize);

  // Dummies are level stretches across their column, so long edges run between boxes.
  const dummyPoints = (id: string, column: number): Point[] => [
    { x: columnX[column]!, y: top.get(id)! },
    { x: columnX[column]! + columnWidth[column]!, y: top.get(id)! },
  ];
  const columnOf = new Map(layers.flatMap((column, i) => column.map((id) => [id, i] as const)));
  // An edge leaves its box level until the edge of the column and enters the next one the
  // same way, so its curves stay in the gaps between columns instead of crossing boxes.
  const ports = new Map<string, Port[]>();
  const port = (key: string, points: Point[], towards: Point) =>
    ports.set(key, [...(ports.get(key) ?? []), { points, towards: towards.y }]);
  const routes = model.edges.map((edge, i) => {
    if (edge.from === edge.to) return { edge, points: loop(boxes.get(edge.from)!) };
    const [tail, head] = reversed[i] ? [edge.to, edge.from] : [edge.from, edge.to];
    const middle = chains[i]!.slice(1, -1).flatMap((id) => dummyPoints(id, columnOf.get(id)!));
    const [tailBox, headBox] = [boxes.get(tail)!, boxes.get(head)!];
    const [tailColumn, headColumn] = [columnOf.get(unitOf.get(tail)!)!, columnOf.get(unitOf.get(head)!)!];
    const start = { x: tailBox.x + tailBox.width, y: tailBox.y + tailBox.height / 2 };
    const startStub = { x: columnX[tailColumn]! + columnWidth[tailColumn]!, y: start.y };
    const end = { x: headBox.x, y: headBox.y + headBox.height / 2 };
    const endStub = { x: columnX[headColumn]!, y: end.y };
    const points = [start, startStub, ...middle, endStub, end].filter(
      (p, k, all) => k === 0 || p.x !== all[k - 1]!.x || p.y !== all[k - 1]!.y,
    );
    port(`${tail}:right`, [start, startStub], middle[0] ?? end);
    port(`${head}:left`, [endStub, end], middle.at(-1) ?? start);
    return { edge, points: reversed[i] ? points.reverse() : points };
  });
  for (const [key, list] of ports) spread(list, boxes.get(key.slice(0, key.lastIndexOf(":")))!);

  // Long edges may run below the lowest box: the canvas holds them too.
  const corners = [...boxes.values()].map((b) => ({ x: b.x + b.width, y: b.y + b.height }));
  const all = [...corners, ...routes.flatMap((route) => route.points)];
  const width = Math.max(...all.map((p) => p.x)) + MARGIN;
  const height = Math.max(...all.map((p) => p.y)) + MARGIN;
  return { width, height, boxes, routes };
}

/** A frame holds its header and its routes stacked, all routes as wide as the widest. */
function frameSize(group: DrawGroup, header: Size, memberSize: Map<string, Size>): Size {
  const members = group.members.map((id) => memberSize.get(id)!);
  const inner = Math.max(header.width, ...members.map((m) => m.width));
  const stacked = members.reduce((sum, m) => sum + m.height, 0) + ROUTE_GAP * Math.max(0, members.length - 1);
  return { width: inner + 2 * FRAME_PAD, height: header.height + stacked + FRAME_PAD };
}

function placeMembers(
  group: DrawGroup,
  boxes: Map<string, Box>,
  header: Size,
  memberSize: Map<string, Size>,
) {
  const frame = boxes.get(group.id)!;
  let y = frame.y + header.height;
  for (const id of group.members) {
    const { height } = memberSize.get(id)!;
    boxes.set(id, { x: frame.x + FRAME_PAD, y, width: frame.width - 2 * FRAME_PAD, height });
    y += height + ROUTE_GAP;
  }
}

/**
 * Tops of all units: each column in turn is pulled towards the mean centre of its
 * neighbours in the column before (or after), then fitted back into order without overlap.
 */
function placeRows(
  layers: string[][],
  chains: string[][],
  sizeOf: (id: string) => Size,
  dummies: Set<string>,
): Map<string, number> {
  const before = new Map<string, string[]>();
  const after = new Map<string, string[]>();
  for (const chain of chains) {
    for (let i = 1; i < chain.length; i++) {
      after.set(chain[i - 1]!, [...(after.get(chain[i - 1]!) ?? []), chain[i]!]);
      before.set(chain[i]!, [...(before.get(chain[i]!) ?? []), chain[i - 1]!]);
    }
  }
  const gap = (a: string, b: string) => (dummies.has(a) || dummies.has(b) ? DUMMY_GAP : ROW_GAP);
  const top = new Map<string, number>();
  for (const column of layers) {
    settle(column, new Array<number>(column.length).fill(0), top, sizeOf, gap);
  }
  const centre = (id: string) => top.get(id)! + sizeOf(id).height / 2;

  for (let pass = 0; pass < PASSES; pass++) {
    const rightward = pass % 2 === 0;
    for (let k = 0; k < layers.length; k++) {
      const column = layers[rightward ? k : layers.length - 1 - k]!;
      const wanted = column.map((id) => {
        const near = ((rightward ? before : after).get(id) ?? []).filter((n) => n !== id);
        const mid = near.length > 0 ? near.reduce((s, n) => s + centre(n), 0) / near.length : centre(id);
        return mid - sizeOf(id).height / 2;
      });
      settle(column, wanted, top, sizeOf, gap);
    }
  }
  const lowest = Math.min(...top.values());
  for (const [id, y] of top) top.set(id, y - lowest + MARGIN);
  return top;
}

/**
 * Puts a column's units as near their wanted tops as order and gaps allow: one pass pushing
 * down, one pushing up, averaged (both keep the order and gaps, so their mean does too).
 */
function settle(
  column: string[],
  wanted: number[],
  top: Map<string, number>,
  sizeOf: (id: string) => Size,
  gap: (a: string, b: string) => number,
): void {
  const n = column.length;
  const height = column.map((id) => sizeOf(id).height);
  const down = [...wanted];
  for (let i = 1; i < n; i++) {
    down[i] = Math.max(wanted[i]!, down[i - 1]! + height[i - 1]! + gap(column[i - 1]!, column[i]!));
  }
  const up = [...wanted];
  for (let i = n - 2; i >= 0; i--) {
    up[i] = Math.min(wanted[i]!, up[i + 1]! - height[i]! - gap(column[i]!, column[i + 1]!));
  }
  column.forEach((id, i) => void top.set(id, (down[i]! + up[i]!) / 2));
}

/** A step that names itself (only in an invalid document) gets a loop over its top. */
function loop(box: Box): Point[] {
  const above = box.y - ROW_GAP / 2;
  return [
    { x: box.x + box.width, y: box.y + box.height / 2 },
    { x: box.x + box.width + 12, y: above },
    { x: box.x - 12, y: above },
    { x: box.x, y: box.y + box.height / 2 },
  ];
}

interface Port {
  /** The point on the box's side and the stub that keeps its height to the column's edge. */
  points: Point[];
  /** Height of the edge's next point: ports are ordered by it so that edges do not cross at the box. */
  towards: number;
}

/** Edges meeting one side of a box fan out along it, in the order of where they come from. */
function spread(ports: Port[], box: Box): void {
  if (ports.length < 2) return;
  const spacing = Math.min(PORT_SPACING, (box.height * 0.8) / ports.length);
  ports.sort((a, b) => a.towards - b.towards);
  const middle = box.y + box.height / 2;
  ports.forEach((port, i) => {
    for (const point of port.points) point.y = middle + (i - (ports.length - 1) / 2) * spacing;
  });
}
