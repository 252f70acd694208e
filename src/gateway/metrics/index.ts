export { GatewayMetrics, type GraphMeters, type StreamOutcome } from "./gateway-metrics.js";
