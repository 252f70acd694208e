import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isQuantity, parseQuantity, quantityProblem } from "../../src/runtimes/index.js";
import { parseJvmSize, resourceProblems } from "../../src/runtimes/quantity.js";

describe("Kubernetes quantities", () => {
  it("accepts what the API server accepts, with its value", () => {
    const cases: [string | number, number][] = [
      ["500m", 0.5],
      ["2", 2],
      [2, 2],
      [0.25, 0.25],
      ["1.5", 1.5],
      [".5", 0.5],
      ["100Mi", 100 * 2 ** 20],
      ["2Gi", 2 * 2 ** 30],
      ["1Ki", 1024],
      ["1G", 1e9],
      ["1k", 1000],
      ["129e6", 129e6],
      ["1E", 1e18],
      ["+1", 1],
      ["250u", 250e-6],
    ];
    for (const [text, value] of cases) expect(parseQuantity(text), String(text)).toBeCloseTo(value, 9);
  });

  it("refuses what the API server refuses", () => {
    for (const bad of [
      "2GB",
      "1.5.0",
      "-1",
      "abc",
      "2 Gi",
      "",
      "Gi",
      "1gi",
      "10MB",
      "1Kib",
      -3,
      Number.NaN,
    ]) {
      expect(isQuantity(bad), String(bad)).toBe(false);
    }
  });

  it("says how to fix the usual slips", () => {
    expect(quantityProblem("memory", "2GB")).toBe(
      '"2GB" is not a Kubernetes quantity: write 2Gi (binary) or 2G (decimal)',
    );
    expect(quantityProblem("memory", "512kb")).toBe(
      '"512kb" is not a Kubernetes quantity: write 512Ki (binary) or 512k (decimal)',
    );
    expect(quantityProblem("memory", "500m")).toBe('memory "500m" means 0.5 bytes; did you mean 500Mi?');
    expect(quantityProblem("nvidia.com/gpu", "0.5")).toBe('nvidia.com/gpu counts whole devices, got "0.5"');
    expect(quantityProblem("cpu", "500m")).toBeUndefined();
    expect(quantityProblem("cpu", -1)).toBe("-1 must not be negative");
  });

  it("checks that requests do not exceed limits, and that GPUs request their limit", () => {
    expect(
      resourceProblems({ requests: { memory: "4Gi", cpu: "2" }, limits: { memory: "2Gi", cpu: "2500m" } }),
    ).toEqual([{ path: ["requests", "memory"], message: "requests 4Gi of memory, more than its limit 2Gi" }]);
    expect(resourceProblems({ requests: { "nvidia.com/gpu": 1 }, limits: { "nvidia.com/gpu": 2 } })).toEqual([
      {
        path: ["requests", "nvidia.com/gpu"],
        message: "nvidia.com/gpu must request exactly its limit (2), got 1",
      },
    ]);
    expect(resourceProblems({ requests: { memory: "1Gi" }, limits: { memory: "1024Mi" } })).toEqual([]);
  });

  it("compares a binary and a decimal amount by value", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), (n) => {
        expect(parseQuantity(`${n}Ki`)).toBe(n * 1024);
        expect(parseQuantity(`${n * 1000}m`)).toBeCloseTo(n, 6);
        expect(parseQuantity(`${n}k`)).toBe(n * 1000);
      }),
    );
  });

  it("reads Spark memory in JVM notation for a Spark function's driver and executors", () => {
    expect(parseJvmSize("512m")).toBe(512 * 2 ** 20);
    expect(parseJvmSize("2g")).toBe(2 * 2 ** 30);
    expect(parseJvmSize("2G")).toBe(2 * 2 ** 30);
    expect(parseJvmSize("1024")).toBe(1024 * 2 ** 20);
    expect(parseJvmSize("2Gi")).toBeUndefined();
    expect(quantityProblem("memory", "2Gi", "jvm")).toBe(
      '"2Gi" is not a Spark memory size: JVM notation, e.g. 512m or 2g',
    );
    expect(resourceProblems({ requests: { memory: "2g" }, limits: { memory: "1g" } }, "jvm")).toHaveLength(1);
  });
});
