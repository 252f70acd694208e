import { createRequire } from "node:module";
import type * as PromClient from "prom-client";

/**
 * The parts of prom-client the gateway uses, required one by one. Its index loads everything
 * at once (the pushgateway's HTTP client, summaries with their t-digests, cluster support,
 * and the default metrics with OpenTelemetry's API): about 40 ms of every start on a quiet
 * machine, which a Nuclio replica scaling from zero pays before its first request. prom-client
 * is pinned to an exact version, and these files are what its own index re-exports.
 */
const require = createRequire(import.meta.url);

export const Registry: typeof PromClient.Registry = require("prom-client/lib/registry");
export const Counter: typeof PromClient.Counter = require("prom-client/lib/counter");
export const Gauge: typeof PromClient.Gauge = require("prom-client/lib/gauge");
export const collectDefaultMetrics: typeof PromClient.collectDefaultMetrics = require("prom-client/lib/defaultMetrics");
