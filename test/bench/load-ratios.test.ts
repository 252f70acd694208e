import { describe, expect, it } from "vitest";
import { type Load, roundRatios } from "../../bench/lib/load.js";

const load = (rps: number, p50: number, p99: number, cpuUs: number): Load => ({
  rps,
  p50,
  p99,
  cpuUs,
  othersCores: 0,
});

describe("the bench's side-by-side ratios", () => {
  it("are the subject's figures over the baseline's, the median of the rounds' own ratios", () => {
    // Three rounds; the baseline ran faster in the second (another process left the machine).
    const subject = [load(800, 4, 10, 50), load(900, 3, 9, 50), load(780, 6, 11, 52)];
    const baseline = [load(1000, 2, 8, 40), load(1500, 3, 6, 40), load(1000, 4, 8, 40)];
    expect(roundRatios(subject, baseline)).toEqual({
      rps: 0.78, // rounds: 0.8, 0.6, 0.78
      p50: 1.5, // 2, 1, 1.5
      p99: 1.375, // 1.25, 1.5, 1.375
      cpuUs: 1.25, // 1.25, 1.25, 1.3
    });
  });
});
