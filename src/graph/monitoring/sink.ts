import type { GraphDocument, MonitoringSpec } from "../document.js";

/**
 * A record waiting to be written: the key it is partitioned by (the model) and its JSON,
 * made only when the writer sends it, apart from the request it describes.
 */
export interface MonitoringRecord {
  readonly key: string;
  /**
   * The record as JSON text, or as parts of it to write one after the other (text, and bytes
   * that are already JSON); may throw (a value JSON cannot hold).
   */
  serialize(): RecordText;
}

/** A record's JSON: one text, or parts (strings, and UTF-8 bytes) written one after the other. */
export type RecordText = string | (string | Uint8Array)[];

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
