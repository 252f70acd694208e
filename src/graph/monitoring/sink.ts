import type { GraphDocument, MonitoringSpec } from "../document.js";

/**
 * A record waiting to be written: the key it is partitioned by (the model) and its JSON,
 * made only when the writer sends it, apart from the request it describes.
 */
export interface MonitoringRecord {
  readonly key: string;
  /**
   * Writes the record's JSON, one line, piece by piece into `out`; may throw (a value JSON
   * cannot hold), and then the writer forgets the pieces written so far.
   */
  write(out: RecordWriter): void;
}

/**
 * Where a record writes its JSON: straight into the writer's buffers, so that the record is
 * never first one string that is then copied and encoded again (the writer's whole cost per
 * record at sample 1 is about this and the broker client's).
 */
export interface RecordWriter {
  /** JSON text, written as UTF-8. */
  text(json: string): void;
  /** UTF-8 bytes that are already JSON, from `start` on. */
  bytes(json: Uint8Array, start?: number): void;
}

/**
 * Where a model's records go. `offer` takes a record and returns at once: it never waits for
 * a broker and never throws; a record that finds the buffer full is dropped, and counted.
 */
export interface MonitoringSink {
  offer(record: MonitoringRecord): void;
}

/**
 * What `sluice serve` hands the compiler: the sink of a monitoring stream, or undefined when
 * its URL names no broker (none in the URL, no trigger of that kind, no environment default).
 */
export type MonitoringSinkFactory = (
  settings: Pick<MonitoringSpec, "stream" | "buffer" | "recordsPerMessage">,
  graph: GraphDocument,
) => MonitoringSink | undefined;

/** A record's JSON as one string (a record's `toJSON`, and tests): its pieces joined. */
export function recordText(record: MonitoringRecord): string {
  const pieces: string[] = [];
  record.write({
    text: (json) => pieces.push(json),
    bytes: (json, start = 0) => pieces.push(Buffer.from(json).toString("utf8", start)),
  });
  return pieces.join("");
}
