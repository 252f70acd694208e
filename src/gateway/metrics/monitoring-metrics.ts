import type { Registry } from "prom-client";
import type { MonitoringMeters } from "../../triggers/index.js";
import { ValueFamily } from "./series.js";

/**
 * What model monitoring streams count: their records by outcome, and how many wait in each
 * buffer. Series are plain numbers bound once per stream, as the request series are.
 */
export class MonitoringMetrics {
  readonly records: ValueFamily;
  readonly buffered: ValueFamily;

  constructor(registry: Registry) {
    this.records = new ValueFamily(
      "counter",
      "sluice_monitoring_records_total",
      "Model monitoring records by stream and outcome: written (the broker acknowledged them), dropped (offered to a full buffer while the broker was slow or away), failed (never writable: not JSON, larger than the broker takes, or unsent when the shutdown's grace ended)",
      ["stream", "outcome"],
      registry,
    );
    this.buffered = new ValueFamily(
      "gauge",
      "sluice_monitoring_buffered_records",
      "Model monitoring records waiting in memory to be written, by stream",
      ["stream"],
      registry,
    );
  }

  /** The series of one stream (by its URL). */
  meters(stream: string): MonitoringMeters {
    return {
      written: this.records.series(stream, "written"),
      dropped: this.records.series(stream, "dropped"),
      failed: this.records.series(stream, "failed"),
      buffered: this.buffered.series(stream),
    };
  }
}
