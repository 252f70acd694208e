import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SluiceError } from "../../../src/errors.js";
import { voteClassification, voteRegression } from "../../../src/graph/oip/index.js";

function failure(run: () => unknown): SluiceError {
  try {
    run();
  } catch (error) {
    if (error instanceof SluiceError) return error;
    throw error;
  }
  throw new Error("no error was thrown");
}

describe("voteClassification: what an ensemble answers", () => {
  it("the class most routes predict wins, element by element", () => {
    const results = [
      ["cat", "dog", "cat"],
      ["cat", "cat", "dog"],
      ["dog", "dog", "dog"],
    ];
    expect(voteClassification(results, [1, 1, 1])).toEqual(["cat", "dog", "dog"]);
  });

  it("weights outvote numbers: one heavy route beats two light ones", () => {
    expect(voteClassification([[0], [1], [1]], [3, 1, 1])).toEqual([0]);
  });

  it("a tie goes to the earliest route's prediction", () => {
    expect(voteClassification([["b"], ["a"]], [1, 1])).toEqual(["b"]);
    expect(voteClassification([["a"], ["b"], ["b"], ["a"]], [1, 1, 1, 1])).toEqual(["a"]);
  });

  it("without weights every route counts once", () => {
    expect(voteClassification([[1], [2], [2]])).toEqual([2]);
  });

  it("arrays and objects count as the same prediction when they are equal", () => {
    expect(voteClassification([[[0, 1]], [[1, 0]], [[1, 0]]], [1, 1, 1])).toEqual([[1, 0]]);
  });

  it("1 and '1' are different classes", () => {
    expect(voteClassification([[1], ["1"], ["1"]], [1, 1, 1])).toEqual(["1"]);
  });

  it("the winner is always a prediction some route made, and unanimous routes win", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }).chain((routes) =>
          fc.tuple(
            fc.array(fc.array(fc.constantFrom("a", "b", "c"), { minLength: 4, maxLength: 4 }), {
              minLength: routes,
              maxLength: routes,
            }),
            fc.array(fc.integer({ min: 0, max: 5 }), { minLength: routes, maxLength: routes }),
          ),
        ),
        ([results, weights]) => {
          const winners = voteClassification(results, weights);
          winners.forEach((winner, i) => {
            expect(results.map((r) => r[i])).toContain(winner);
          });
          expect(voteClassification([results[0] ?? []], [1])).toEqual(results[0]);
        },
      ),
    );
  });
});

describe("voteRegression: what an ensemble answers", () => {
  it("the weighted mean of the routes, element by element", () => {
    expect(
      voteRegression(
        [
          [1, 10],
          [3, 20],
        ],
        [1, 1],
      ),
    ).toEqual([2, 15]);
    expect(voteRegression([[0], [4]], [3, 1])).toEqual([1]);
  });

  it("without weights, the plain mean", () => {
    expect(voteRegression([[1], [2], [6]])).toEqual([3]);
  });

  it("the mean lies between the smallest and largest prediction", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 6, maxLength: 6 }),
        (predictions, weights) => {
          const [mean] = voteRegression(
            predictions.map((p) => [p]),
            weights.slice(0, predictions.length),
          );
          expect(mean).toBeGreaterThanOrEqual(Math.min(...predictions) - 1e-6);
          expect(mean).toBeLessThanOrEqual(Math.max(...predictions) + 1e-6);
        },
      ),
    );
  });
});

describe("votes that cannot be taken fail the request with a 500 saying why", () => {
  const cases: [string, () => unknown, string][] = [
    ["no routes", () => voteClassification([], []), "an ensemble vote needs at least one route's results"],
    [
      "routes of different lengths",
      () => voteClassification([[1, 2], [1]], [1, 1]),
      "ensemble routes disagree on length: route #0 returned 2 elements, route #1 1",
    ],
    [
      "regression routes of different lengths",
      () => voteRegression([[1], [1, 2]], [1, 1]),
      "ensemble routes disagree on length: route #0 returned 1 elements, route #1 2",
    ],
    [
      "fewer weights than routes",
      () => voteClassification([[1], [1]], [1]),
      "an ensemble of 2 routes got 1 weights",
    ],
    [
      "a negative weight",
      () => voteRegression([[1], [1]], [1, -1]),
      "ensemble weight #1 must be a non-negative number, got -1",
    ],
    ["weights that are all 0", () => voteRegression([[1], [1]], [0, 0]), "the ensemble's weights are all 0"],
    [
      "a route that returned no array",
      () => voteClassification([[1], "x" as never], [1, 1]),
      'ensemble route #1 returned "x", not an array',
    ],
    [
      "a first route that returned nothing",
      () => voteClassification([undefined as never, [1]], [1, 1]),
      "ensemble route #0 returned nothing, not an array",
    ],
    [
      "a regression route predicting a string",
      () => voteRegression([[1], ["2" as never]], [1, 1]),
      'ensemble route #1 predicted "2" for element 0; regression needs numbers',
    ],
  ];

  it.each(cases)("%s", (_what, run, message) => {
    const error = failure(run);
    expect(error.code).toBe("SLUICE_ERR_STEP_FAILED");
    expect(error.message).toContain(message);
  });
});

describe("ensemble votes, at their edges", () => {
  it("count equal objects as one prediction, and NaN apart from null", () => {
    expect(voteClassification([[{ a: 1 }], [{ a: 1 }], [{ b: 2 }]])).toEqual([{ a: 1 }]);
    expect(voteClassification([[Number.NaN], [null], [null]])).toEqual([null]);
    expect(
      voteClassification([[Number.NaN], [Number.POSITIVE_INFINITY], [Number.POSITIVE_INFINITY]]),
    ).toEqual([Number.POSITIVE_INFINITY]);
    expect(voteClassification([[1], ["1"], ["1"]])).toEqual(["1"]);
  });

  it("take no weights as equal weights, and refuse a prediction that is not a finite number", () => {
    expect(voteRegression([[1], [3]], [])).toEqual([2]);
    expect(() => voteRegression([[1], [Number.POSITIVE_INFINITY]])).toThrow(
      "ensemble route #1 predicted null for element 0; regression needs numbers",
    );
  });
});
