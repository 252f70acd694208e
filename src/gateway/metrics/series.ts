import type { Registry } from "prom-client";

/**
 * Metric families whose series are plain numbers, bound to their label values once.
 *
 * prom-client builds a label hash string on every `inc()`/`observe()`, even through a
 * `labels(...)` child: about a microsecond a call, several calls per request and per step.
 * Here a request or a step run only adds to numbers it already holds; the Prometheus text
 * (and the JSON the cluster aggregator merges) is made from them when someone scrapes.
 * The families register in a prom-client Registry like its own metrics do: the registry
 * only asks a metric for `name`, `type`, `aggregator` and `get()`.
 */
type Labels = Record<string, string>;

interface Exported {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  aggregator: "sum";
  values: { labels: Labels; value: number; metricName?: string }[];
}

abstract class Family<S extends { labels: Labels }> {
  readonly aggregator = "sum";
  readonly #series = new Map<string, S>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    // A duck-typed metric: prom-client's types name only its own classes.
    registry.registerMetric(this as never);
  }

  abstract readonly type: Exported["type"];
  protected abstract create(labels: Labels): S;
  protected abstract export(series: S): Exported["values"];

  /** The series of these label values (in `labelNames` order), made on first use. */
  series(...values: string[]): S {
    const key = values.join("\u0000");
    let series = this.#series.get(key);
    if (!series) {
      const labels: Labels = {};
      this.labelNames.forEach((name, i) => {
        labels[name] = values[i] as string;
      });
      series = this.create(labels);
      this.#series.set(key, series);
    }
    return series;
  }

  /** What prom-client's registry reads when it renders or aggregates. */
  async get(): Promise<Exported> {
    const values = [...this.#series.values()].flatMap((s) => this.export(s));
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

/** One number per label set: a counter (only ever `inc`) or a gauge. */
export class ValueSeries {
  value = 0;
  constructor(readonly labels: Labels) {}
  inc(by = 1): void {
    this.value += by;
  }
  dec(): void {
    this.value--;
  }
  set(value: number): void {
    this.value = value;
  }
}

/** A counter or a gauge per label set. */
export class ValueFamily extends Family<ValueSeries> {
  constructor(
    readonly type: "counter" | "gauge",
    name: string,
    help: string,
    labelNames: readonly string[],
    registry: Registry,
  ) {
    super(name, help, labelNames, registry);
  }
  protected create(labels: Labels): ValueSeries {
    return new ValueSeries(labels);
  }
  protected export(series: ValueSeries): Exported["values"] {
    return [{ labels: series.labels, value: series.value }];
  }
}

export class HistogramSeries {
  /** Observations per bucket (not cumulative); the last slot counts those above every bound. */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Labels,
    readonly bounds: readonly number[],
  ) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    const { bounds } = this;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count++;
  }
}

/** A latency histogram per label set, with fixed bucket bounds (upper bounds, inclusive). */
export class HistogramFamily extends Family<HistogramSeries> {
  readonly type = "histogram";

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly bounds: readonly number[],
    registry: Registry,
  ) {
    super(name, help, labelNames, registry);
  }

  protected create(labels: Labels): HistogramSeries {
    return new HistogramSeries(labels, this.bounds);
  }

  protected export(series: HistogramSeries): Exported["values"] {
    const bucket = `${this.name}_bucket`;
    let cumulative = 0;
    const values: Exported["values"] = this.bounds.map((bound, i) => {
      cumulative += series.counts[i] as number;
      return { labels: { ...series.labels, le: String(bound) }, value: cumulative, metricName: bucket };
    });
    values.push(
      { labels: { ...series.labels, le: "+Inf" }, value: series.count, metricName: bucket },
      { labels: series.labels, value: series.sum, metricName: `${this.name}_sum` },
      { labels: series.labels, value: series.count, metricName: `${this.name}_count` },
    );
    return values;
  }
}
