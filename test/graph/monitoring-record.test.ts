import { describe, expect, it } from "vitest";
import { type GraphEvent, recordText } from "../../src/graph/index.js";
import { ModelCallRecord, RecordFormat } from "../../src/graph/monitoring/record.js";

const format = new RecordFormat({
  graph: "g",
  step: "score",
  key: "score",
  model: "score",
  version: undefined,
  className: "Model",
  labels: undefined,
  fields: new Set(["inputs", "outputs"]),
  samplingPercentage: 100,
});

/** The record of a call whose request arrived as `body`, read back as JSON. */
function recorded(body: string): { request: unknown } {
  const parsed: unknown = JSON.parse(body);
  const event = { id: "req-1", body: parsed, json: { request: Buffer.from(body) } } as unknown as GraphEvent;
  const record = new ModelCallRecord(format, event, parsed, 1).answered({ outputs: [] });
  return JSON.parse(recordText(record)) as { request: unknown };
}

describe("a monitoring record of a request taken as it arrived", () => {
  it("gives a body without an id the request id, an empty object included", () => {
    expect(recorded('{"inputs":[1]}').request).toEqual({ id: "req-1", inputs: [1] });
    expect(recorded("{}").request).toEqual({ id: "req-1" });
    expect(recorded("{ \t}").request).toEqual({ id: "req-1" });
  });

  it("keeps a body's own id as it was sent", () => {
    expect(recorded('{"id":"mine","inputs":[]}').request).toEqual({ id: "mine", inputs: [] });
  });
});
