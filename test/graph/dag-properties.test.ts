import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { flow, graphOf } from "../helpers/graphs.js";

// @ts-expect-error: a plain JavaScript fixture module
const fixtures = await import("../fixtures/graph/steps.mjs");

/** A random DAG: step i may come after any steps before it; some steps are async. */
const dags = fc.integer({ min: 1, max: 10 }).chain((size) =>
  fc.tuple(
    ...Array.from({ length: size }, (_, i) =>
      fc.record({
        after: fc.subarray(
          Array.from({ length: i }, (_, j) => `s${j}`),
          { maxLength: Math.min(i, 4) },
        ),
        async: fc.boolean(),
      }),
    ),
  ),
);

function document(steps: { after: string[]; async: boolean }[]): string {
  const lines = steps.map(
    (s, i) =>
      `s${i}: {class: ./steps.mjs#Recorder, args: {async: ${s.async}}${s.after.length ? `, after: [${s.after.join(", ")}]` : ""}}`,
  );
  // The last step answers, so several terminals are fine.
  return flow(lines.join("\n"), `responder: s${steps.length - 1}`);
}

describe("any valid DAG", () => {
  it("runs each step exactly once per event, and every join sees all its inputs", async () => {
    await fc.assert(
      fc.asyncProperty(dags, fc.integer({ min: 1, max: 4 }), async (steps, events) => {
        const graph = await graphOf(document(steps));
        const ids = Array.from({ length: events }, (_, i) => `e${i}-${Math.random()}`);
        await Promise.all(ids.map((id) => graph.invoke({ id, body: { event: id } })));
        for (const id of ids) {
          const runs = fixtures.runs.get(id) as { step: string; input: Record<string, unknown> }[];
          expect(runs.map((r) => r.step).sort()).toEqual(steps.map((_, i) => `s${i}`).sort());
          steps.forEach((step, i) => {
            const run = runs.find((r) => r.step === `s${i}`);
            if (step.after.length > 1) {
              expect(Object.keys(run?.input ?? {}).sort()).toEqual([...step.after].sort());
              for (const up of step.after) expect(run?.input[up]).toEqual({ event: id, from: up });
            } else if (step.after.length === 1) {
              expect(run?.input).toEqual({ event: id, from: step.after[0] });
            } else {
              expect(run?.input).toEqual({ event: id });
            }
          });
          fixtures.runs.delete(id);
        }
        await graph.close();
      }),
      { numRuns: 60 },
    );
  });
});
