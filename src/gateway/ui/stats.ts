import type { BreakerState } from "../../graph/resilience/index.js";

/**
 * Live figures for the admin page, made from the gateway's own Prometheus metrics (as
 * prom-client's JSON), so one process and a `--workers N` cluster (whose primary merges its
 * workers' JSON) answer alike.
 *
 * The metrics are cumulative; the figures are about the last few seconds. The admin plane
 * keeps the snapshots of recent polls (StatsWindow) and compares the newest with one about
 * `windowMs` older, as Prometheus' `rate()` and `histogram_quantile()` over a short range
 * would: rates are counter deltas over the time between the two, and p50/p99 are read from
 * the difference of the two histograms, interpolated linearly within the bucket they fall in.
 * Doing it here, not in the page, keeps the arithmetic in one tested place.
 */

/** The part of prom-client's `getMetricsAsJSON()` entries read here. */
export interface MetricJson {
  name: string;
  values: { labels: Partial<Record<string, string | number>>; value: number; metricName?: string }[];
}

/** A cumulative histogram: `counts[i]` observations at most `bounds[i]`; the last is every one (+Inf). */
export interface Histogram {
  bounds: number[];
  counts: number[];
}

interface StepSnapshot {
  ok: number;
  errors: number;
  latency: Histogram;
}

interface GraphSnapshot {
  /** Requests by outcome (ok, client_error, error, timeout). */
  outcomes: Record<string, number>;
  inFlight: number;
  latency: Histogram;
  steps: Map<string, StepSnapshot>;
  /** The breaker gauge per remote target: 0 closed, 1 half-open, 2 open. */
  breakers: Map<string, number>;
}

/** The cumulative figures of every graph at one moment. */
export type Snapshot = Map<string, GraphSnapshot>;

/** What one step did in the interval (rates, quantiles) and since the start (totals). */
export interface StepStats {
  runs: number;
  errors: number;
  runsPerSecond: number | null;
  errorsPerSecond: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
}

export interface GraphStats {
  requests: number;
  /** Requests the gateway failed (outcomes error and timeout; a caller's mistake is not one). */
  errors: number;
  outcomes: Record<string, number>;
  requestsPerSecond: number | null;
  errorsPerSecond: number | null;
  inFlight: number;
  p50Ms: number | null;
  p99Ms: number | null;
  steps: Record<string, StepStats>;
  /** Breaker state per remote target (its origin). */
  breakers: Record<string, BreakerState>;
}

/** `GET /api/stats`: rates and quantiles cover `intervalSeconds` (null on the first poll). */
export interface Stats {
  at: string;
  intervalSeconds: number | null;
  graphs: Record<string, GraphStats>;
}

const failedOutcomes = ["error", "timeout"];
const breakerStates: BreakerState[] = ["closed", "half-open", "open"];

/** Reads the sluice_* series out of the metrics JSON; every other metric is ignored. */
export function snapshotOf(metrics: readonly MetricJson[]): Snapshot {
  const graphs: Snapshot = new Map();
  const graphOf = (name: string): GraphSnapshot => {
    let graph = graphs.get(name);
    if (!graph) {
      graph = { outcomes: {}, inFlight: 0, latency: emptyHistogram(), steps: new Map(), breakers: new Map() };
      graphs.set(name, graph);
    }
    return graph;
  };
  const stepOf = (graph: string, name: string): StepSnapshot => {
    const steps = graphOf(graph).steps;
    let step = steps.get(name);
    if (!step) {
      step = { ok: 0, errors: 0, latency: emptyHistogram() };
      steps.set(name, step);
    }
    return step;
  };
  const byName = new Map(metrics.map((m) => [m.name, m]));
  const each = (
    name: string,
    use: (labels: Record<string, string>, value: number, sample: string) => void,
  ) => {
    for (const v of byName.get(name)?.values ?? []) {
      const labels: Record<string, string> = {};
      for (const [key, value] of Object.entries(v.labels))
        if (value !== undefined) labels[key] = String(value);
      use(labels, v.value, v.metricName ?? name);
    }
  };
  const buckets = new Map<Histogram, [number, number][]>();
  const bucket = (histogram: Histogram, labels: Record<string, string>, value: number, sample: string) => {
    if (!sample.endsWith("_bucket") || labels.le === undefined) return;
    const le = labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(labels.le);
    const pairs = buckets.get(histogram);
    if (pairs) pairs.push([le, value]);
    else buckets.set(histogram, [[le, value]]);
  };

  each("sluice_requests_total", (l, value) => {
    if (l.graph && l.outcome) graphOf(l.graph).outcomes[l.outcome] = value;
  });
  each("sluice_requests_in_flight", (l, value) => {
    if (l.graph) graphOf(l.graph).inFlight = value;
  });
  each("sluice_request_duration_seconds", (l, value, sample) => {
    if (l.graph) bucket(graphOf(l.graph).latency, l, value, sample);
  });
  each("sluice_step_runs_total", (l, value) => {
    if (!l.graph || !l.step) return;
    const step = stepOf(l.graph, l.step);
    if (l.outcome === "ok") step.ok = value;
    else step.errors += value;
  });
  each("sluice_step_duration_seconds", (l, value, sample) => {
    if (l.graph && l.step) bucket(stepOf(l.graph, l.step).latency, l, value, sample);
  });
  each("sluice_breaker_state", (l, value) => {
    if (l.graph && l.target) graphOf(l.graph).breakers.set(l.target, value);
  });

  for (const [histogram, pairs] of buckets) {
    pairs.sort((a, b) => a[0] - b[0]);
    histogram.bounds = pairs.filter(([le]) => le !== Number.POSITIVE_INFINITY).map(([le]) => le);
    histogram.counts = pairs.map(([, count]) => count);
  }
  return graphs;
}

function emptyHistogram(): Histogram {
  return { bounds: [], counts: [0] };
}

/** Observations in a cumulative histogram (its +Inf bucket). */
function total(histogram: Histogram): number {
  return histogram.counts[histogram.counts.length - 1] ?? 0;
}

/**
 * The q-quantile of a cumulative histogram, as Prometheus' `histogram_quantile` computes it:
 * find the bucket holding the rank q·total and interpolate linearly between its bounds (the
 * first bucket starts at 0). A rank in the +Inf bucket answers the highest finite bound.
 * Null for an empty histogram.
 */
export function histogramQuantile(q: number, histogram: Histogram): number | null {
  const { bounds, counts } = histogram;
  const count = total(histogram);
  if (count === 0) return null;
  const rank = q * count;
  const i = counts.findIndex((c) => c >= rank);
  if (i >= bounds.length) return bounds.length === 0 ? null : (bounds[bounds.length - 1] as number);
  const upper = bounds[i] as number;
  const lower = i === 0 ? 0 : (bounds[i - 1] as number);
  if (i === 0 && upper <= 0) return upper;
  const below = i === 0 ? 0 : (counts[i - 1] as number);
  const inBucket = (counts[i] as number) - below;
  return lower + (upper - lower) * ((rank - below) / inBucket);
}

/**
 * What was added between two histograms. A total that went down means the series restarted
 * (a worker was replaced), and then what it holds now is all that was added since.
 */
export function histogramDelta(before: Histogram | undefined, after: Histogram): Histogram {
  if (!before || before.counts.length !== after.counts.length || total(before) > total(after)) return after;
  return {
    bounds: after.bounds,
    counts: after.counts.map((c, i) => Math.max(0, c - (before.counts[i] ?? 0))),
  };
}

/** A counter's increase; a decrease is a restart, as in `histogramDelta`. */
function increase(before: number | undefined, after: number): number {
  return before === undefined || after < before ? after : after - before;
}

function sumOf(record: Record<string, number>, keys?: string[]): number {
  return (keys ?? Object.keys(record)).reduce((sum, key) => sum + (record[key] ?? 0), 0);
}

const ms = (seconds: number | null) => (seconds === null ? null : seconds * 1000);

/**
 * The figures of `after`: totals as they are, rates and quantiles over what changed since
 * `before`, `seconds` earlier. Without an earlier snapshot (`seconds` null) only totals.
 */
export function statsBetween(
  before: Snapshot | undefined,
  after: Snapshot,
  seconds: number | null,
): Record<string, GraphStats> {
  const timed = before !== undefined && seconds !== null && seconds > 0;
  const per = (n: number) => (timed ? n / (seconds as number) : null);
  const quantiles = (was: Histogram | undefined, now: Histogram) => {
    if (!timed) return { p50Ms: null, p99Ms: null };
    const added = histogramDelta(was, now);
    return { p50Ms: ms(histogramQuantile(0.5, added)), p99Ms: ms(histogramQuantile(0.99, added)) };
  };
  const out: Record<string, GraphStats> = {};
  for (const [name, graph] of after) {
    const was = before?.get(name);
    const steps: Record<string, StepStats> = {};
    for (const [stepName, step] of graph.steps) {
      const prior = was?.steps.get(stepName);
      steps[stepName] = {
        runs: step.ok + step.errors,
        errors: step.errors,
        runsPerSecond: per(increase(prior && prior.ok + prior.errors, step.ok + step.errors)),
        errorsPerSecond: per(increase(prior?.errors, step.errors)),
        ...quantiles(prior?.latency, step.latency),
      };
    }
    const breakers: Record<string, BreakerState> = {};
    for (const [target, value] of graph.breakers) {
      breakers[target] = breakerStates[Math.min(2, Math.max(0, Math.round(value)))] as BreakerState;
    }
    const requests = sumOf(graph.outcomes);
    const errors = sumOf(graph.outcomes, failedOutcomes);
    out[name] = {
      requests,
      errors,
      outcomes: graph.outcomes,
      requestsPerSecond: per(increase(was && sumOf(was.outcomes), requests)),
      errorsPerSecond: per(increase(was && sumOf(was.outcomes, failedOutcomes), errors)),
      inFlight: graph.inFlight,
      ...quantiles(was?.latency, graph.latency),
      steps,
      breakers,
    };
  }
  return out;
}

/**
 * The recent snapshots the admin plane compares against. Each poll is compared with the
 * newest snapshot at least `windowMs` old (the oldest kept when none is), so the figures
 * cover about the last `windowMs` however often, and by how many pages, it is polled.
 * Polls closer than `gapMs` to the last kept one are not kept, which bounds the memory.
 */
export class StatsWindow {
  readonly #samples: { at: number; snapshot: Snapshot }[] = [];

  constructor(
    readonly windowMs = 5000,
    readonly gapMs = 250,
  ) {}

  /** The figures of `snapshot`, taken at `at` (ms since the epoch). */
  next(snapshot: Snapshot, at = Date.now()): Stats {
    const samples = this.#samples;
    while (samples.length > 1 && (samples[1] as { at: number }).at <= at - this.windowMs) samples.shift();
    const base = samples[0];
    const seconds = base && at > base.at ? (at - base.at) / 1000 : null;
    const graphs = statsBetween(base?.snapshot, snapshot, seconds);
    const last = samples[samples.length - 1];
    if (!last || at - last.at >= this.gapMs) samples.push({ at, snapshot });
    return { at: new Date(at).toISOString(), intervalSeconds: seconds, graphs };
  }
}
