import { describe, expect, it } from "vitest";
import { ChunkEvents } from "../../../src/gateway/generate/sse.js";

/** The JSON of an event's `data:` line. */
const dataOf = (event: string) => {
  expect(event.startsWith("data: ")).toBe(true);
  expect(event.endsWith("\n\n")).toBe(true);
  return JSON.parse(event.slice(6, -2)) as Record<string, unknown>;
};

describe("generate_stream events", () => {
  it("carry the model's name and version first, then the chunk's fields, one event each", () => {
    const events = new ChunkEvents({ model_name: "writer", model_version: "v1" });
    const event = events.event({ text_output: 'hé "quoted"\n', details: { token: 3 } });
    expect(event.split("\n\n")).toHaveLength(2);
    expect(event).toBe(
      'data: {"model_name":"writer","model_version":"v1","text_output":"hé \\"quoted\\"\\n","details":{"token":3}}\n\n',
    );
  });

  it("let a chunk that names a model itself keep its own name, as a merge would", () => {
    const events = new ChunkEvents({ model_name: "writer" });
    // One model_name in the JSON, the chunk's.
    expect(events.event({ text_output: "a", model_name: "draft" })).toBe(
      'data: {"model_name":"draft","text_output":"a"}\n\n',
    );
    expect(dataOf(events.event({ text_output: "b" }))).toEqual({ model_name: "writer", text_output: "b" });
  });
});
