// autocannon ships no types and package.json is not bench's to change: the part we use.
declare module "autocannon" {
  interface Histogram {
    average: number;
    p50: number;
    p90: number;
    p99: number;
    max: number;
    total: number;
  }
  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    pipelining?: number;
    method?: "GET" | "POST" | "PUT";
    headers?: Record<string, string>;
    body?: string | Buffer;
    overallRate?: number;
  }
  interface Result {
    requests: Histogram;
    latency: Histogram;
    /** Seconds. */
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    mismatches: number;
    statusCodeStats: Record<string, { count: number }>;
  }
  /** A thenable (no finally), so awaited rather than chained. */
  interface Instance extends PromiseLike<Result> {
    stop(): void;
    /** Every answer, with its latency in ms (fractional: the histogram keeps whole ms). */
    on(
      event: "response",
      listener: (client: unknown, statusCode: number, bytes: number, latencyMs: number) => void,
    ): this;
  }
  function autocannon(options: Options): Instance;

  export type { Options, Result };
  export default autocannon;
}
