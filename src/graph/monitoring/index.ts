/**
 * src/graph/monitoring: model monitoring records (docs/monitoring.md). A model with
 * `monitoring` hands a record of each sampled call to a sink; the writer behind the sink
 * (src/triggers/monitoring, given by `sluice serve`) sends them to Kafka or NATS.
 */

import type { BuildEnv } from "../build/env.js";
import { reportProblem } from "../build/env.js";
import type { ModelRunner } from "../build/model.js";
import type { ModelRoute } from "../document.js";
import type { Runner } from "../executor.js";
import { ModelMonitor, monitoringOf } from "./monitor-model.js";

export { endAborted, type GenerationRecord } from "./generation-record.js";
export type { GenerateOp, GraphMonitoring, ModelMonitor } from "./monitor-model.js";
export { mlrunTime } from "./record.js";
export { Sampler } from "./sampler.js";
export {
  type MonitoringRecord,
  type MonitoringSink,
  type MonitoringSinkFactory,
  type RecordWriter,
  recordText,
} from "./sink.js";

/**
 * How a model step (or a router's model route) runs its model: its infer, recorded to its
 * monitoring stream when the model or its graph has one and `sluice serve` writes them (its
 * generations too: the model's `monitor` is set then). A
 * stream whose URL names no broker is the graph's problem, reported with the field's pointer.
 */
export function modelRunner(
  model: ModelRunner,
  spec: ModelRoute,
  at: string,
  step: string,
  env: BuildEnv,
): Runner {
  const infer: Runner = (input, event) => model.infer(input, event);
  const { monitoring } = env;
  if (!monitoring) return infer;
  const chosen = monitoringOf(spec, at, monitoring.graph);
  if (!chosen) return infer;
  const sink = monitoring.sinkFor(chosen.settings);
  if (!sink) {
    reportProblem(
      env,
      `${chosen.at}/stream`,
      `${chosen.settings.stream} names no broker: write it in the URL (kafka://host:9092/topic, nats://host:4222/subject), add a trigger of that kind, or set SLUICE_KAFKA_BROKERS or SLUICE_NATS_URL`,
      step,
    );
    return infer;
  }
  const className = (spec.class ?? spec.handler ?? "").split("#").pop() ?? "";
  model.monitor = new ModelMonitor(model, chosen.settings, sink, {
    graph: env.graph,
    step,
    className,
    labels: monitoring.labels,
  });
  return model.monitor.infer;
}
