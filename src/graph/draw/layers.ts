/**
 * The combinatorial half of a layered (Sugiyama-style) drawing: which column each unit sits
 * in and in what order from top to bottom. Geometry is place.ts's business.
 *
 * A unit is a top-level node or a whole router group; a link joins two units. Links that
 * would close a cycle are turned around for layering (a document with a cycle is invalid,
 * but it still gets drawn), and links that skip columns get one dummy unit per column
 * skipped, so that long edges are routed around boxes and count in crossing reduction.
 */

export interface Link {
  from: string;
  to: string;
  /** Layered first when breaking cycles, so that error edges are the ones turned around. */
  weak: boolean;
}

export interface Layering {
  /** Unit ids (dummies included) per column, top to bottom. */
  layers: string[][];
  layerOf: Map<string, number>;
  /** Per link: the units it passes through, from its left end to its right end. */
  chains: string[][];
  /** Per link: drawn right to left (its `to` is in an earlier column than its `from`). */
  reversed: boolean[];
  dummies: Set<string>;
}

/** How many alternating down/up barycenter sweeps; small graphs settle after a few. */
const SWEEPS = 8;

/**
 * Columns by longest path from the sources; sources other than `keepLeft` are pulled right
 * to just before their first successor, so the graph's error marker sits next to its handler.
 */
export function layer(units: string[], links: Link[], keepLeft: string): Layering {
  const reversed = breakCycles(units, links);
  const arcs = links.map((link, i): [string, string] =>
    reversed[i] ? [link.to, link.from] : [link.from, link.to],
  );
  const preds = new Map(units.map((u) => [u, [] as string[]]));
  const succs = new Map(units.map((u) => [u, [] as string[]]));
  for (const [tail, head] of arcs) {
    if (tail === head) continue;
    succs.get(tail)!.push(head);
    preds.get(head)!.push(tail);
  }

  const layerOf = new Map<string, number>();
  const remaining = new Map(units.map((u) => [u, preds.get(u)!.length]));
  const ready = units.filter((u) => remaining.get(u) === 0);
  for (let u = ready.shift(); u !== undefined; u = ready.shift()) {
    const at = Math.max(-1, ...preds.get(u)!.map((p) => layerOf.get(p)!)) + 1;
    layerOf.set(u, at);
    for (const s of succs.get(u)!) {
      remaining.set(s, remaining.get(s)! - 1);
      if (remaining.get(s) === 0) ready.push(s);
    }
  }
  for (const u of units) {
    const next = succs.get(u)!;
    if (u !== keepLeft && preds.get(u)!.length === 0 && next.length > 0) {
      layerOf.set(u, Math.min(...next.map((s) => layerOf.get(s)!)) - 1);
    }
  }

  const layers: string[][] = [];
  const put = (id: string, at: number) => {
    while (layers.length <= at) layers.push([]);
    layers[at]!.push(id);
    layerOf.set(id, at);
  };
  for (const u of units) put(u, layerOf.get(u)!);
  const dummies = new Set<string>();
  const chains = arcs.map(([tail, head], i) => {
    const chain = [tail];
    for (let at = layerOf.get(tail)! + 1; at < layerOf.get(head)!; at++) {
      const dummy = `~${i}.${at}`;
      dummies.add(dummy);
      put(dummy, at);
      chain.push(dummy);
    }
    chain.push(head);
    return chain;
  });
  const layering = { layers, layerOf, chains, reversed, dummies };
  orderLayers(layering);
  return layering;
}

/** Depth-first, strong links before weak ones; a link back into the current path is reversed. */
function breakCycles(units: string[], links: Link[]): boolean[] {
  const reversed = links.map(() => false);
  const out = new Map(units.map((u) => [u, [] as number[]]));
  links.forEach((link, i) => void out.get(link.from)!.push(i));
  for (const list of out.values()) list.sort((a, b) => Number(links[a]!.weak) - Number(links[b]!.weak));
  const state = new Map<string, "open" | "done">();
  const visit = (u: string) => {
    state.set(u, "open");
    for (const i of out.get(u)!) {
      const next = links[i]!.to;
      if (state.get(next) === "open") reversed[i] = true;
      else if (!state.has(next)) visit(next);
    }
    state.set(u, "done");
  };
  for (const u of units) if (!state.has(u)) visit(u);
  return reversed;
}

/** Reorders each column by the barycenter of its neighbours, keeping the order with fewest crossings. */
function orderLayers({ layers, chains }: Layering): void {
  const up = new Map<string, string[]>();
  const down = new Map<string, string[]>();
  for (const chain of chains) {
    for (let i = 1; i < chain.length; i++) {
      const [a, b] = [chain[i - 1]!, chain[i]!];
      if (a === b) continue;
      down.set(a, [...(down.get(a) ?? []), b]);
      up.set(b, [...(up.get(b) ?? []), a]);
    }
  }
  let best = layers.map((l) => [...l]);
  let fewest = crossings(layers, down);
  for (let sweep = 0; sweep < SWEEPS && fewest > 0; sweep++) {
    const downward = sweep % 2 === 0;
    for (let k = 1; k < layers.length; k++) {
      const at = downward ? k : layers.length - 1 - k;
      const fixed = layers[downward ? at - 1 : at + 1]!;
      sortByBarycenter(layers[at]!, fixed, downward ? up : down);
    }
    const count = crossings(layers, down);
    if (count < fewest) {
      fewest = count;
      best = layers.map((l) => [...l]);
    }
  }
  layers.splice(0, layers.length, ...best);
}

/** Units with no neighbour in `fixed` keep their place; a stable sort keeps ties in order. */
function sortByBarycenter(layer: string[], fixed: string[], neighbours: Map<string, string[]>): void {
  const position = new Map(fixed.map((id, i) => [id, i]));
  const scale = fixed.length / Math.max(1, layer.length);
  const key = new Map<string, number>();
  layer.forEach((id, i) => {
    const at = (neighbours.get(id) ?? []).map((n) => position.get(n)).filter((p) => p !== undefined);
    key.set(id, at.length > 0 ? at.reduce((a, b) => a + b, 0) / at.length : i * scale);
  });
  layer.sort((a, b) => key.get(a)! - key.get(b)!);
}

/** Edge crossings between each pair of neighbouring columns. */
function crossings(layers: string[][], down: Map<string, string[]>): number {
  let count = 0;
  for (let k = 0; k + 1 < layers.length; k++) {
    const next = new Map(layers[k + 1]!.map((id, i) => [id, i]));
    const pairs: [number, number][] = [];
    layers[k]!.forEach((id, i) => {
      for (const to of down.get(id) ?? []) pairs.push([i, next.get(to)!]);
    });
    for (let a = 0; a < pairs.length; a++) {
      for (let b = a + 1; b < pairs.length; b++) {
        const [p, q] = [pairs[a]!, pairs[b]!];
        if ((p[0] - q[0]) * (p[1] - q[1]) < 0) count++;
      }
    }
  }
  return count;
}
