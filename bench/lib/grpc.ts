/** gRPC load for the bench: ghz per round (bench/lib/ghz.ts), figures as HTTP's (bench/lib/load.ts). */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { type Served, serveScript } from "./child.js";
import { ghzBinary } from "./ghz.js";
import { type Load, loadSettings, requestBody } from "./load.js";
import { cpuTimes } from "./quiet.js";

const run = promisify(execFile);

/** What ghz's JSON report holds that the bench reads (durations in nanoseconds). */
interface GhzReport {
  count: number;
  total: number;
  latencyDistribution: { percentage: number; latency: number }[] | null;
  statusCodeDistribution: Record<string, number>;
  errorDistribution: Record<string, number> | null;
}

/** The HTTP scenarios' request (bench/lib/load.ts) as a ModelInferRequest with typed contents. */
function inferRequest(model: string): string {
  const { id, inputs } = JSON.parse(requestBody) as {
    id: string;
    inputs: { name: string; shape: number[]; datatype: string; data: number[] }[];
  };
  return JSON.stringify({
    model_name: model,
    id,
    inputs: inputs.map(({ data, ...tensor }) => ({ ...tensor, contents: { fp32_contents: data } })),
  });
}

/**
 * Loads `address` with ModelInfer calls of `model` for `seconds`: as many calls in flight as
 * autocannon keeps connections (loadSettings), over 4 HTTP/2 connections. A failed call fails
 * the round, as a non-2xx does over HTTP, except the calls ghz itself cuts off when its time
 * is up ("transport is closing").
 */
export async function grpcLoad(
  address: string,
  seconds: number,
  options: { model?: string; cpuSeconds?: () => Promise<number> } = {},
): Promise<Load> {
  const ghz = await ghzBinary();
  const args = [
    ...["--insecure", "--proto", "proto/open_inference_grpc.proto"],
    ...["--call", "inference.GRPCInferenceService.ModelInfer", "-d", inferRequest(options.model ?? "echo")],
    ...["-c", String(loadSettings.connections), "--connections", "4", "-z", `${seconds}s`, "-O", "json"],
    address,
  ];
  const cpuBefore = await options.cpuSeconds?.();
  const machineBefore = await cpuTimes();
  // sh reports ghz's CPU (its children's, in its own /proc stat once it has waited for them).
  const { stdout, stderr } = await run(
    "sh",
    ["-c", `"$@"; code=$?; cat /proc/$$/stat >&2; exit $code`, "sh", ghz, ...args],
    {
      maxBuffer: 64 << 20,
    },
  );
  const cpuAfter = await options.cpuSeconds?.();
  const machineAfter = await cpuTimes();
  const report = JSON.parse(stdout) as GhzReport;
  const ok = report.statusCodeDistribution.OK ?? 0;
  const failed = Object.entries(report.errorDistribution ?? {}).filter(
    ([e]) => !/transport is closing|client connection is closing/.test(e),
  );
  if (failed.length > 0 || ok === 0) {
    throw new Error(`gRPC load on ${address}: ${ok} calls answered, failures: ${JSON.stringify(failed)}`);
  }
  const latency = (p: number) =>
    (report.latencyDistribution?.find((d) => d.percentage === p)?.latency ?? Number.NaN) / 1e6;
  const duration = report.total / 1e9;
  const server = cpuBefore === undefined || cpuAfter === undefined ? Number.NaN : cpuAfter - cpuBefore;
  const machineBusy = (machineAfter.busy - machineBefore.busy) / 100;
  const others = machineBusy - (Number.isNaN(server) ? 0 : server) - childrenCpuOf(stderr);
  return {
    rps: ok / duration,
    p50: latency(50),
    p99: latency(99),
    cpuUs: (server * 1e6) / ok,
    othersCores: others / duration,
  };
}

/** cutime + cstime of a /proc/<pid>/stat line, in seconds. */
function childrenCpuOf(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[13]) + Number(fields[14])) / 100 || 0;
}

/** `host:port` of the gRPC service a `sluice serve --grpc-port` line announces. */
export function grpcAddressOf(served: Served): string {
  const address = / grpc (\S+:\d+) \(/.exec(served.line)?.[1];
  if (!address) throw new Error(`no gRPC address in: ${served.line}`);
  return address;
}

/** `sluice serve <graphs> --grpc-port 0` (the built binary), once its whole line is out. */
export function serveSluiceGrpc(graphs: string[]): Promise<Served> {
  const args = ["serve", ...graphs, "--port", "0", "--admin-port", "0", "--grpc-port", "0"];
  return serveScript("bin/sluice.js", args, /sluice: serving .* on (http:\/\/\S+) .*\n/);
}

/** The bare @grpc/grpc-js baseline (bench/lib/bare-grpc-server.mjs); its `url` is `host:port`. */
export function serveBareGrpc(): Promise<Served> {
  return serveScript("bench/lib/bare-grpc-server.mjs", [], /bare-grpc: serving on (\S+:\d+)/);
}
