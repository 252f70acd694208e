/**
 * A typed face on the part of autocannon that sluice uses. autocannon ships no types, and an
 * ambient `declare module "autocannon"` would clash with bench/'s own; so it is loaded with
 * `require` (it is CommonJS anyway) and given the types below. Loading it on demand also
 * keeps `sluice --help` fast.
 */
import type { EventEmitter } from "node:events";
import { createRequire } from "node:module";

/** The options of `autocannon(options)` that sluice passes. */
export interface AutocannonOptions {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  connections: number;
  pipelining: number;
  /** Seconds; ignored when `amount` is set. */
  duration: number;
  amount?: number;
  /** Requests per second over all connections. */
  overallRate?: number;
  /** Seconds before a request counts as timed out. */
  timeout: number;
}

/** Percentiles autocannon computes (latency in whole ms, requests and throughput per second). */
export interface AutocannonStats {
  average: number;
  mean: number;
  stddev: number;
  min: number;
  max: number;
  total?: number;
  p50: number;
  p90: number;
  p99: number;
  p99_9: number;
  [percentile: string]: number | undefined;
}

/** What an autocannon run resolves to (the fields sluice reads; the rest is kept as is). */
export interface AutocannonResult {
  url: string;
  connections: number;
  pipelining: number;
  /** Seconds. */
  duration: number;
  start: string | Date;
  finish: string | Date;
  errors: number;
  timeouts: number;
  non2xx: number;
  resets: number;
  statusCodeStats: Record<string, { count: number }>;
  latency: AutocannonStats;
  requests: AutocannonStats & { sent: number };
  throughput: AutocannonStats;
  [field: string]: unknown;
}

/** A running load: an event emitter (`response`, `reqError`, `tick`, `done`) and a thenable. */
export interface AutocannonInstance extends EventEmitter, PromiseLike<AutocannonResult> {
  stop(): void;
}

interface AutocannonModule {
  (options: AutocannonOptions): AutocannonInstance;
  track(
    instance: AutocannonInstance,
    options: {
      outputStream: NodeJS.WritableStream;
      renderProgressBar: boolean;
      renderResultsTable: boolean;
      progressBarString?: string;
    },
  ): void;
}

let loaded: AutocannonModule | undefined;

/** autocannon itself, loaded the first time it is asked for. */
export function autocannon(): AutocannonModule {
  loaded ??= createRequire(import.meta.url)("autocannon") as AutocannonModule;
  return loaded;
}
