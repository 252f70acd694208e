export { GatewayMetrics, type GraphMeters, type StreamOutcome } from "./gateway-metrics.js";
export { MonitoringMetrics } from "./monitoring-metrics.js";
