import { describe, expect, it } from "vitest";
import { type MonitoringRecord, recordText } from "../../src/graph/index.js";
import { RecordChunks, type Written } from "../../src/triggers/monitoring/record-chunks.js";

/** A record written as the given pieces (strings as text, Buffers as bytes from `start`). */
function record(key: string, ...pieces: (string | { bytes: Buffer; start?: number })[]): MonitoringRecord {
  return {
    key,
    write(out) {
      for (const piece of pieces) {
        if (typeof piece === "string") out.text(piece);
        else out.bytes(piece.bytes, piece.start);
      }
    },
  };
}

const line = (w: Written) => w.chunk.toString("utf8", w.start, w.end);

describe("monitoring records written into chunks", () => {
  it("writes a record's text and bytes one after the other, UTF-8, each record followed by a newline", () => {
    const chunks = new RecordChunks();
    const body = Buffer.from('{"inputs":["é"]}');
    const a = chunks.write(record("m", '{"id":"ü",', { bytes: body, start: 1 }));
    const b = chunks.write(record("n", '{"i":2}'));
    expect(line(a)).toBe('{"id":"ü","inputs":["é"]}');
    expect(a.key).toBe("m");
    expect(b.chunk).toBe(a.chunk);
    expect(b.start).toBe(a.end + 1);
    expect(a.chunk[a.end]).toBe(0x0a);
    expect(line(b)).toBe('{"i":2}');
  });

  it("keeps nothing of a record that throws part-way, and the next one starts where it began", () => {
    const chunks = new RecordChunks();
    const first = chunks.write(record("m", '{"i":1}'));
    const broken: MonitoringRecord = {
      key: "m",
      write(out) {
        out.text('{"half":');
        JSON.stringify({ n: 1n });
      },
    };
    expect(() => chunks.write(broken)).toThrow(/BigInt/);
    const next = chunks.write(record("m", '{"i":2}'));
    expect(next.start).toBe(first.end + 1);
    expect(line(next)).toBe('{"i":2}');
  });

  it("moves a record that outgrows its chunk to a new one whole, leaving the records before it as they were", () => {
    const chunks = new RecordChunks();
    const first = chunks.write(record("m", '{"i":1}'));
    // More than a chunk (1 MiB) holds, in two pieces: the second finds no room.
    const big = Buffer.alloc(1 << 20, 0x61);
    const written = chunks.write(record("m", '{"big":"', { bytes: big }, '"}'));
    expect(written.chunk).not.toBe(first.chunk);
    expect(written.start).toBe(0);
    expect(line(written)).toBe(`{"big":"${"a".repeat(1 << 20)}"}`);
    expect(line(first)).toBe('{"i":1}');
  });

  it("gives a record's JSON as one string for its toJSON", () => {
    expect(recordText(record("m", '{"a":', { bytes: Buffer.from("[1,2]") }, "}"))).toBe('{"a":[1,2]}');
  });
});
