import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { BreakerState } from "../graph/resilience/index.js";

/** Latency buckets in seconds: from 100 µs (a trivial in-process step) to 10 s. */
const buckets = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** The breaker gauge's values: 0 lets calls through, 2 refuses them, 1 lets one probe through. */
const breakerValues: Record<BreakerState, number> = { closed: 0, "half-open": 1, open: 2 };

/**
 * The gateway's Prometheus metrics, per graph and per step: a request counter by outcome,
 * a latency histogram and an in-flight gauge, plus Node's process metrics. One registry per
 * gateway (never prom-client's global one), so tests and workers do not collide.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<"graph" | "outcome">;
  readonly latency: Histogram<"graph">;
  readonly inFlight: Gauge<"graph">;
  readonly steps: Counter<"graph" | "step" | "outcome">;
  readonly stepLatency: Histogram<"graph" | "step">;
  readonly breakers: Gauge<"graph" | "target">;

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: "sluice_requests_total",
      help: "Requests and events that entered a graph, by outcome (ok, client_error, error, timeout)",
      labelNames: ["graph", "outcome"],
      registers,
    });
    this.latency = new Histogram({
      name: "sluice_request_duration_seconds",
      help: "Time from a request entering a graph to its response",
      labelNames: ["graph"],
      buckets,
      registers,
    });
    this.inFlight = new Gauge({
      name: "sluice_requests_in_flight",
      help: "Requests inside a graph right now",
      labelNames: ["graph"],
      registers,
    });
    this.steps = new Counter({
      name: "sluice_step_runs_total",
      help: "Step runs, by outcome (ok, error)",
      labelNames: ["graph", "step", "outcome"],
      registers,
    });
    this.stepLatency = new Histogram({
      name: "sluice_step_duration_seconds",
      help: "Time a step took",
      labelNames: ["graph", "step"],
      buckets,
      registers,
    });
    this.breakers = new Gauge({
      name: "sluice_breaker_state",
      help: "Circuit breaker of each remote target: 0 closed, 1 half-open, 2 open",
      labelNames: ["graph", "target"],
      registers,
    });
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** A recorder for one step, with its label values bound once (not per event). */
  stepRecorder(graph: string, step: string): (seconds: number, ok: boolean) => void {
    const ok = this.steps.labels(graph, step, "ok");
    const failed = this.steps.labels(graph, step, "error");
    const latency = this.stepLatency.labels(graph, step);
    return (seconds, succeeded) => {
      (succeeded ? ok : failed).inc();
      latency.observe(seconds);
    };
  }

  /** A listener for one remote target's breaker, setting its gauge on every state change. */
  breakerRecorder(graph: string, target: string): (state: BreakerState) => void {
    const gauge = this.breakers.labels(graph, target);
    return (state) => gauge.set(breakerValues[state]);
  }
}
