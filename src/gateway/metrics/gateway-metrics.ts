import type { BreakerState } from "../../graph/resilience/index.js";
import { MonitoringMetrics } from "./monitoring-metrics.js";
import { Counter, collectDefaultMetrics, Gauge, Registry } from "./prom-parts.js";
import { HistogramFamily, type HistogramSeries, ValueFamily, type ValueSeries } from "./series.js";

/** Latency buckets in seconds: from 100 µs (a trivial in-process step) to 10 s. */
const buckets = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** The breaker gauge's values: 0 lets calls through, 2 refuses them, 1 lets one probe through. */
const breakerValues: Record<BreakerState, number> = { closed: 0, "half-open": 1, open: 2 };

/** One graph's request series, bound once so a request only adds to numbers. */
export interface GraphMeters {
  ok: ValueSeries;
  clientError: ValueSeries;
  error: ValueSeries;
  timeout: ValueSeries;
  latency: HistogramSeries;
  inFlight: ValueSeries;
}

/** Where a trigger's event outcomes are counted. */
export type StreamOutcome = "ok" | "retried" | "dead_lettered" | "failed" | "dlq_failed";

/** A trigger as `sluice_trigger_up` reports it. */
export interface TriggerUp {
  graph: string;
  trigger: string;
  up: boolean;
}

/**
 * The gateway's Prometheus metrics, per graph and per step: a request counter by outcome,
 * a latency histogram and an in-flight gauge, stream events by trigger and outcome, breaker
 * states, plus Node's process metrics. One registry per gateway (never prom-client's global
 * one), so tests and workers do not collide.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests = new ValueFamily(
    "counter",
    "sluice_requests_total",
    "Requests and events that entered a graph, by outcome (ok, client_error, error, timeout)",
    ["graph", "outcome"],
    this.registry,
  );
  readonly latency = new HistogramFamily(
    "sluice_request_duration_seconds",
    "Time from a request entering a graph to its response",
    ["graph"],
    buckets,
    this.registry,
  );
  readonly inFlight = new ValueFamily(
    "gauge",
    "sluice_requests_in_flight",
    "Requests inside a graph right now",
    ["graph"],
    this.registry,
  );
  readonly steps = new ValueFamily(
    "counter",
    "sluice_step_runs_total",
    "Step runs, by outcome (ok, error)",
    ["graph", "step", "outcome"],
    this.registry,
  );
  readonly stepLatency = new HistogramFamily(
    "sluice_step_duration_seconds",
    "Time a step took",
    ["graph", "step"],
    buckets,
    this.registry,
  );
  readonly streamEvents = new ValueFamily(
    "counter",
    "sluice_stream_events_total",
    "Stream events by trigger and outcome (ok, retried, dead_lettered, failed, dlq_failed)",
    ["graph", "trigger", "outcome"],
    this.registry,
  );
  // Breaker states change rarely: prom-client's own gauge is fine there.
  readonly breakers = new Gauge({
    name: "sluice_breaker_state",
    help: "Circuit breaker of each remote target: 0 closed, 1 half-open, 2 open",
    labelNames: ["graph", "target"],
    registers: [this.registry],
    // Each worker has its own breaker: a cluster reports the worst one, not a sum of states.
    aggregator: "max",
  });

  readonly consumersRecreated = new ValueFamily(
    "counter",
    "sluice_trigger_consumers_recreated_total",
    "Durable consumers recreated after their stream lost them (a JetStream stream deleted and made again)",
    ["graph", "trigger"],
    this.registry,
  );
  /** Where `sluice_trigger_up` reads the triggers from, at each scrape. */
  #triggers: () => TriggerUp[] = () => [];
  readonly triggerUp = new Gauge({
    name: "sluice_trigger_up",
    help: "1 while a stream trigger consumes (running), 0 while it is starting, stalled, crashed or stopped",
    labelNames: ["graph", "trigger"],
    registers: [this.registry],
    // A cluster is only as up as its worst worker.
    aggregator: "min",
    collect: () => {
      this.triggerUp.reset();
      for (const { graph, trigger, up } of this.#triggers())
        this.triggerUp.labels(graph, trigger).set(up ? 1 : 0);
    },
  });
  /** Model monitoring streams: records written, dropped and failed, and those buffered. */
  readonly monitoring = new MonitoringMetrics(this.registry);
  /** Errors user code threw where no request could take them (a timer, an unhandled rejection). */
  readonly uncaught = new Counter({
    name: "sluice_uncaught_errors_total",
    help: "Errors thrown by user code outside any request (timers, unhandled rejections); the gateway kept serving",
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** The request series of one graph. */
  graphMeters(graph: string): GraphMeters {
    return {
      ok: this.requests.series(graph, "ok"),
      clientError: this.requests.series(graph, "client_error"),
      error: this.requests.series(graph, "error"),
      timeout: this.requests.series(graph, "timeout"),
      latency: this.latency.series(graph),
      inFlight: this.inFlight.series(graph),
    };
  }

  /** A recorder for one step, with its series bound once (not per event). */
  stepRecorder(graph: string, step: string): (seconds: number, ok: boolean) => void {
    const ok = this.steps.series(graph, step, "ok");
    const failed = this.steps.series(graph, step, "error");
    const latency = this.stepLatency.series(graph, step);
    return (seconds, succeeded) => {
      (succeeded ? ok : failed).value++;
      latency.observe(seconds);
    };
  }

  /** A counter of the graph's triggers' event outcomes (series bound on first use). */
  streamRecorder(graph: string): (trigger: string, outcome: StreamOutcome) => void {
    const byTrigger = new Map<string, Record<StreamOutcome, ValueSeries>>();
    return (trigger, outcome) => {
      let series = byTrigger.get(trigger);
      if (!series) {
        const of = (o: StreamOutcome) => this.streamEvents.series(graph, trigger, o);
        series = {
          ok: of("ok"),
          retried: of("retried"),
          dead_lettered: of("dead_lettered"),
          failed: of("failed"),
          dlq_failed: of("dlq_failed"),
        };
        byTrigger.set(trigger, series);
      }
      series[outcome].value++;
    };
  }

  /** Tells `sluice_trigger_up` where the triggers are (the stream host, once it exists). */
  watchTriggers(triggers: () => TriggerUp[]): void {
    this.#triggers = triggers;
  }

  /** A counter of durable consumers recreated, by trigger (series bound on first use). */
  recreatedRecorder(graph: string): (trigger: string) => void {
    return (trigger) => {
      this.consumersRecreated.series(graph, trigger).value++;
    };
  }

  /** A listener for one remote target's breaker, setting its gauge on every state change. */
  breakerRecorder(graph: string, target: string): (state: BreakerState) => void {
    const gauge = this.breakers.labels(graph, target);
    return (state) => gauge.set(breakerValues[state]);
  }
}
