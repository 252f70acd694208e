import type { GraphDocument, MonitoringSpec } from "../document.js";

/**
 * A record waiting to be written: the key it is partitioned by (the model) and its JSON,
 * made only when the writer sends it, apart from the request it describes.
 */
export interface MonitoringRecord {
  readonly key: string;
  /** The record as JSON text; may throw (a value JSON cannot hold). */
  serialize(): string;
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
