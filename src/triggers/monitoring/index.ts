/**
 * src/triggers/monitoring: the writers of model monitoring streams (docs/monitoring.md): a
 * bounded buffer per stream, batched sends to Kafka or NATS apart from the requests, drops
 * counted while the broker is slow, and a flush within the shutdown's grace.
 */
export {
  type MonitoringMeters,
  MonitoringStream,
  type MonitoringStreamState,
  type MonitoringTransport,
  type Outgoing,
} from "./monitoring-stream.js";
export { defaultMonitoringBuffer, MonitoringStreams } from "./monitoring-streams.js";
