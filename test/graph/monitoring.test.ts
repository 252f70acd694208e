import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  GraphInvalidError,
  loadGraphText,
  type MonitoringSinkFactory,
  mlrunTime,
  Sampler,
} from "../../src/graph/index.js";
import { graphFixtures, memoryLogger, problemsOf } from "../helpers/graphs.js";

const model = (monitoring: string) => `apiVersion: sluice/v1
kind: Graph
metadata: {name: m}
spec:
  steps:
    score: {kind: model, class: ./steps.mjs#Model, monitoring: ${monitoring}}
`;

/** A graph monitored at `kafka://records` serving one model (then `more` steps), compiled with `sink`. */
const served = (sink: MonitoringSinkFactory, more = "") =>
  loadGraphText(
    `apiVersion: sluice/v1
kind: Graph
metadata: {name: m}
spec:
  monitoring: {stream: kafka://records}
  steps:
    score: {kind: model, class: ./steps.mjs#Model}
${more}`,
    join(graphFixtures, "inline.yaml"),
    { logger: memoryLogger(), monitoringSink: sink },
  );

describe("monitoring sampling", () => {
  it("records every request at 1, none at 0, and exactly the share asked otherwise", () => {
    const taken = (sample: number, n: number) => {
      const sampler = new Sampler(sample);
      return Array.from({ length: n }, () => sampler.take());
    };
    expect(taken(1, 100).every(Boolean)).toBe(true);
    expect(taken(0, 100).some(Boolean)).toBe(false);
    expect(taken(0.3, 1000).filter(Boolean)).toHaveLength(300);
    expect(taken(0.001, 10_000).filter(Boolean)).toHaveLength(10);
    // The first request is recorded, then one in four.
    expect(taken(0.25, 8)).toEqual([true, false, false, false, true, false, false, false]);
  });

  it("says how many requests each record stands for", () => {
    const sampler = new Sampler(0.25);
    const counts: number[] = [];
    for (let i = 0; i < 12; i++) if (sampler.take()) counts.push(sampler.represented());
    expect(counts).toEqual([1, 4, 4]);
    expect(sampler.percentage).toBe(25);
  });

  it("writes times as MLRun's stream processor reads them", () => {
    expect(mlrunTime(Date.UTC(2024, 4, 1, 12, 30, 5, 42))).toBe("2024-05-01 12:30:05.042000+00:00");
    expect(mlrunTime(Date.UTC(2024, 4, 1, 12, 30, 5, 7))).toBe("2024-05-01 12:30:05.007000+00:00");
    expect(mlrunTime(Date.UTC(2024, 4, 1, 12, 30, 5, 999))).toBe("2024-05-01 12:30:05.999000+00:00");
    expect(mlrunTime(Date.UTC(2024, 11, 31, 23, 59, 59, 100))).toBe("2024-12-31 23:59:59.100000+00:00");
    expect(mlrunTime(Date.UTC(2025, 0, 1, 0, 0, 0, 0))).toBe("2025-01-01 00:00:00.000000+00:00");
  });
});

describe("monitoring settings", () => {
  it("says what is wrong with each field, where", async () => {
    const problems = await problemsOf(
      model("{stream: kafka://records, sample: 1.5, fields: [inputs, tensors], buffer: 0, extra: 1}"),
    );
    const at = "/spec/steps/score/monitoring";
    expect(problems.map((p) => [p.pointer, p.message])).toEqual(
      expect.arrayContaining([
        [`${at}/sample`, "must be <= 1"],
        [`${at}/fields/1`, '"tensors" is not one of: inputs, outputs, shapes, parameters'],
        [`${at}/buffer`, "must be >= 1"],
        [`${at}/extra`, 'unknown field "extra"'],
      ]),
    );
    expect(problems).toHaveLength(4);
  });

  it("needs a kafka:// or nats:// stream, and takes false (not true) to turn a model's monitoring off", async () => {
    const bad = await problemsOf(model("{stream: http://x}"));
    expect(bad.map((p) => [p.pointer, p.message])).toEqual([
      [
        "/spec/steps/score/monitoring/stream",
        "must be kafka://<topic> or nats://<subject>, a Kafka topic being letters, digits, '.', '_' and '-' (at most 249)",
      ],
    ]);
    expect((await problemsOf(model("{sample: 1}"))).map((p) => p.message)).toEqual([
      'missing required field "stream"',
    ]);
    expect((await problemsOf(model("true"))).map((p) => p.message)).toEqual(["must be false, not true"]);
    expect(await problemsOf(model("false"))).toEqual([]);
  });

  it("refuses monitoring on a graph that serves no model", async () => {
    const problems = await problemsOf(`apiVersion: sluice/v1
kind: Graph
metadata: {name: m}
spec:
  monitoring: {stream: kafka://records}
  steps:
    echo: {handler: builtin:echo}
`);
    expect(problems.map((p) => [p.pointer, p.message])).toEqual([
      ["/spec/monitoring", "the graph serves no model to monitor (monitoring records model calls)"],
    ]);
  });

  it("hands a served graph's models their sink, and checks the settings alone when not served", async () => {
    const streams: unknown[] = [];
    const graph = await served((settings) => {
      streams.push(settings.stream);
      return { offer: () => {} };
    }, "    echo: {handler: builtin:echo, after: [score]}\n");
    await graph.close();
    expect(streams).toEqual(["kafka://records"]);
    expect(await problemsOf(model("{stream: kafka://records}"))).toEqual([]);
  });

  it("refuses, when served, a stream whose URL names no broker", async () => {
    const compiling = served(() => undefined);
    const error = await compiling.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphInvalidError);
    const [problem] = (error as GraphInvalidError).problems;
    expect(problem?.pointer).toBe("/spec/monitoring/stream");
    expect(problem?.message).toMatch(/^kafka:\/\/records names no broker: write it in the URL/);
  });
});
