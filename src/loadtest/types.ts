/** The shapes `sluice bench` works with: its compiled settings and the result it writes. */
import type { AutocannonResult } from "./autocannon.js";
import type { HistogramJson } from "./histogram.js";

/** What to load: a graph document served for the run, or an endpoint that is already up. */
export type BenchTarget = { kind: "graph"; file: string; workers: number } | { kind: "url"; origin: string };

/** The request every connection sends, over and over. */
export interface RequestPlan {
  method: string;
  /** Path and query. */
  path: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  /** Where the body came from, for the report: `--body`, `--body-file F` or the OIP inputs. */
  bodySource: string | undefined;
}

/** How hard and how long. */
export interface LoadPlan {
  connections: number;
  pipelining: number;
  durationMs: number;
  /** Stop after this many requests instead of after `durationMs`. */
  amount: number | undefined;
  /** Requests per second over all connections (open loop); undefined: as fast as answered. */
  rate: number | undefined;
  /** A run of this length before the measured one, thrown away (0: none). */
  warmupMs: number;
  timeoutMs: number;
}

/** `sluice bench`'s options, checked and with defaults applied. */
export interface BenchSettings {
  target: BenchTarget;
  request: RequestPlan;
  load: LoadPlan;
  /** Also load a bare node:http server the same way, and print the ratio. */
  baseline: boolean;
  jsonFile: string | undefined;
  reportFile: string | undefined;
  /** Non-2xx responses and errors do not fail the command. */
  allowErrors: boolean;
}

/** The figures of one run that people read. Latencies in ms, measured per response by sluice. */
export interface Summary {
  /** Responses received, whatever their status. */
  requests: number;
  requestsPerSecond: number;
  throughputBytesPerSecond: number;
  latencyMs: { mean: number; p50: number; p90: number; p99: number; p99_9: number; max: number };
  /** Connection errors and timeouts. */
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  durationSeconds: number;
}

/** One second of a run. */
export interface SecondSample {
  /** Seconds since the run started, at the end of this sample. */
  atSecond: number;
  requests: number;
  requestsPerSecond: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

/** One measured run against one server. */
export interface RunResult {
  /** `sluice` (a served graph), `baseline` (the bare server) or `target` (a URL). */
  label: string;
  url: string;
  summary: Summary;
  seconds: SecondSample[];
  histogram: HistogramJson;
  /** autocannon's own result, untouched (its latencies are whole milliseconds). */
  autocannon: AutocannonResult;
}

/** The settings as the JSON result and the HTML report show them. */
export interface ReportSettings {
  target: string;
  kind: BenchTarget["kind"];
  workers?: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: { source: string; bytes: number; preview: string };
  connections: number;
  pipelining: number;
  duration?: string;
  amount?: number;
  rate?: number;
  warmup: string;
  timeout: string;
  baseline: boolean;
}

/** Everything `--json F` writes, and what `--compare` reads back. */
export interface BenchReport {
  tool: "sluice bench";
  formatVersion: 1;
  sluiceVersion: string;
  date: string;
  machine: { node: string; platform: string; cpus: number; cpuModel: string };
  settings: ReportSettings;
  target: RunResult;
  baseline?: RunResult;
  /** The target over the baseline: `requestsPerSecond` < 1 and `p99` > 1 is the gateway's price. */
  ratio?: { requestsPerSecond: number; p99: number };
}
