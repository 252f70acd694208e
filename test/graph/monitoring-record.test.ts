import { describe, expect, it } from "vitest";
import { type GraphEvent, recordText } from "../../src/graph/index.js";
import { jsonString, ModelCallRecord, RecordFormat } from "../../src/graph/monitoring/record.js";

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

describe("a record's request id", () => {
  it("is quoted exactly as JSON.stringify quotes it, escapes and lone surrogates included", () => {
    for (const id of [
      "req-1",
      "",
      'say "hi"',
      "back\\slash",
      "tab\tnew\nline\u0000\u001f",
      "caf\u00e9 \u2028 \u{1f600}",
      "lone \ud83d here",
      "lone \ude00 too",
    ]) {
      expect(jsonString(id)).toBe(JSON.stringify(id));
    }
  });

  it("is written into the record as the caller sent it, however it must be escaped", () => {
    const event = { id: 'a"b\\c\u0001', body: {}, json: undefined } as unknown as GraphEvent;
    const record = new ModelCallRecord(format, event, {}, 1).answered({ outputs: [] });
    expect((JSON.parse(recordText(record)) as { id: unknown }).id).toBe('a"b\\c\u0001');
  });
});
