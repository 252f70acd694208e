import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type GraphEvent, loadGraphText, makeEvent } from "../../src/graph/index.js";
import { sideBySide } from "../lib/measure.js";
import type { Scenario } from "../lib/scenario.js";

const here = join(dirname(fileURLToPath(import.meta.url)), "inline.yaml");
// @ts-expect-error: a plain JavaScript module
const steps = (await import("./steps.mjs")) as {
  add1: (n: number) => number;
  sum: (o: Record<string, number>) => number;
};
const silent = { debug() {}, info() {}, warn() {}, error() {} };

function graphYaml(stepLines: string[], responder?: string): string {
  return [
    "apiVersion: sluice/v1",
    "kind: Graph",
    "metadata: {name: bench}",
    "spec:",
    ...(responder ? [`  responder: ${responder}`] : []),
    "  steps:",
    ...stepLines.map((l) => `    ${l}`),
  ].join("\n");
}

/** Five sync steps in a row, each adding one to the body: an event of 1 answers 6. */
export const chain5 = graphYaml([
  "s1: {handler: ./steps.mjs#add1}",
  "s2: {handler: ./steps.mjs#add1, after: [s1]}",
  "s3: {handler: ./steps.mjs#add1, after: [s2]}",
  "s4: {handler: ./steps.mjs#add1, after: [s3]}",
  "s5: {handler: ./steps.mjs#add1, after: [s4]}",
]);

const fanOut4 = graphYaml([
  "start: {handler: ./steps.mjs#add1}",
  "b1: {handler: ./steps.mjs#add1, after: [start]}",
  "b2: {handler: ./steps.mjs#add1, after: [start]}",
  "b3: {handler: ./steps.mjs#add1, after: [start]}",
  "b4: {handler: ./steps.mjs#add1, after: [start]}",
  "join: {handler: ./steps.mjs#sum, after: [b1, b2, b3, b4]}",
]);

/** A graph document of this folder's steps (./steps.mjs), loaded and ready, logging nothing. */
export async function benchGraph(yaml: string) {
  const graph = await loadGraphText(yaml, here, { logger: silent });
  await graph.whenReady();
  return graph;
}

async function events(yaml: string) {
  const graph = await benchGraph(yaml);
  const event: GraphEvent = makeEvent({ id: "bench", body: 1 });
  return { graph, run: () => graph.run(event) };
}

/** The same work with no graph: the step functions called directly, one promise per event. */
const bareChain = async () => steps.add1(steps.add1(steps.add1(steps.add1(steps.add1(1)))));
const bareFanOut = async () => {
  const s = steps.add1(1);
  return steps.sum({ b1: steps.add1(s), b2: steps.add1(s), b3: steps.add1(s), b4: steps.add1(s) });
};

export const executorScenarios: Scenario[] = [
  {
    name: "executor: 5-step chain of sync steps",
    unit: "events/s",
    bar: { subjectAtLeast: 300_000 },
    async run() {
      const { graph, run } = await events(chain5);
      if ((await run()) !== 6) throw new Error("chain answered wrong");
      const result = await sideBySide(run, bareChain);
      await graph.close();
      return result;
    },
  },
  {
    name: "executor: fan-out of 4 branches joined",
    unit: "events/s",
    bar: { subjectAtLeast: 150_000 },
    async run() {
      const { graph, run } = await events(fanOut4);
      if ((await run()) !== 12) throw new Error("fan-out answered wrong");
      const result = await sideBySide(run, bareFanOut);
      await graph.close();
      return result;
    },
  },
];
