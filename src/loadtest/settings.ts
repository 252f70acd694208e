/** `sluice bench`'s flags, as commander hands them over, compiled once into `BenchSettings`. */
import { readFile, stat } from "node:fs/promises";
import { parseDurationFlag, parsePositiveInt } from "../cli/options.js";
import { SluiceError } from "../errors.js";
import { oipRequestBody, parseOipInput } from "./oip-input.js";
import type { BenchSettings, BenchTarget, RequestPlan } from "./types.js";

/** The flags of `sluice bench`, unparsed. */
export interface BenchFlags {
  connections: string;
  duration?: string;
  amount?: string;
  pipelining: string;
  rate?: string;
  method?: string;
  path?: string;
  header?: string[];
  body?: string;
  bodyFile?: string;
  oipInput?: string[];
  model?: string;
  warmup: string;
  timeout: string;
  workers: string;
  baseline?: boolean;
  json?: string;
  report?: string;
  allowErrors?: boolean;
}

/** The default of `--duration`; applied here so that `--amount` can tell it was not given. */
export const DEFAULT_DURATION = "10s";

function usage(message: string, hint?: string): SluiceError {
  return new SluiceError("SLUICE_ERR_USAGE", message, hint === undefined ? {} : { hint });
}

/** `K:V` pairs into lower-cased header names. */
export function parseHeaders(pairs: string[] = []): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of pairs) {
    const colon = pair.indexOf(":");
    if (colon <= 0) throw usage(`--header "${pair}" is not K:V`);
    headers[pair.slice(0, colon).trim().toLowerCase()] = pair.slice(colon + 1).trim();
  }
  return headers;
}

/** Like `parseDurationFlag`, and `0` (or `0s`) means none. */
function parseOptionalDuration(value: string, flag: string): number {
  return /^0+(\.0+)?(ms|s|m|h)?$/.test(value.trim()) ? 0 : parseDurationFlag(value, flag);
}

async function targetOf(target: string | undefined, workers: number): Promise<BenchTarget> {
  if (target === undefined) throw usage("give a graph document or a URL to load", "sluice bench graph.yaml");
  if (/^https?:\/\//i.test(target)) {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw usage(`"${target}" is not a valid URL`);
    }
    return { kind: "url", origin: url.href };
  }
  const file = await stat(target).catch(() => undefined);
  if (!file?.isFile()) {
    throw new SluiceError("SLUICE_ERR_INPUT", `no graph document at ${target}`, {
      hint: "give a graph file, or a URL starting with http:// or https://",
    });
  }
  return { kind: "graph", file: target, workers };
}

async function bodyOf(flags: BenchFlags): Promise<Pick<RequestPlan, "body" | "bodySource">> {
  const given = [flags.body, flags.bodyFile, flags.oipInput].filter((v) => v !== undefined).length;
  if (given > 1) throw usage("give one of --body, --body-file and --oip-input");
  if (flags.body !== undefined) {
    try {
      JSON.parse(flags.body);
    } catch (error) {
      throw new SluiceError("SLUICE_ERR_INPUT", `--body is not valid JSON: ${(error as Error).message}`);
    }
    return { body: Buffer.from(flags.body), bodySource: "--body" };
  }
  if (flags.bodyFile !== undefined) {
    const body = await readFile(flags.bodyFile).catch((error: NodeJS.ErrnoException) => {
      throw new SluiceError("SLUICE_ERR_INPUT", `cannot read --body-file ${flags.bodyFile}: ${error.code}`);
    });
    return { body, bodySource: `--body-file ${flags.bodyFile}` };
  }
  if (flags.oipInput !== undefined) {
    const specs = flags.oipInput.map(parseOipInput);
    return {
      body: Buffer.from(JSON.stringify(oipRequestBody(specs))),
      bodySource: `random OIP inputs ${specs.map((s) => `${s.name}:${s.datatype}:${s.shape.join("x")}`).join(", ")}`,
    };
  }
  return { body: undefined, bodySource: undefined };
}

function pathOf(flags: BenchFlags, target: BenchTarget): string {
  const path =
    flags.path ??
    (flags.model !== undefined ? `/v2/models/${encodeURIComponent(flags.model)}/infer` : undefined) ??
    (target.kind === "url" ? undefined : "/");
  if (path === undefined) return "";
  if (!path.startsWith("/")) throw usage(`--path must start with /, got "${path}"`);
  return path;
}

/** Checks the flags and applies the defaults; throws a SluiceError a user can act on. */
export async function compileBenchSettings(
  target: string | undefined,
  flags: BenchFlags,
): Promise<BenchSettings> {
  const connections = parsePositiveInt(flags.connections, "--connections");
  const amount = flags.amount === undefined ? undefined : parsePositiveInt(flags.amount, "--amount");
  if (amount !== undefined && flags.duration !== undefined)
    throw usage("give --duration or --amount, not both");
  if (amount !== undefined && amount < connections) {
    throw usage(`--amount ${amount} is fewer than --connections ${connections}`);
  }
  const rate = flags.rate === undefined ? undefined : parsePositiveInt(flags.rate, "--rate");
  const resolved = await targetOf(target, parsePositiveInt(flags.workers, "--workers"));
  if (resolved.kind === "url" && flags.workers !== "1")
    throw usage("--workers applies to a graph, not a URL");
  const { body, bodySource } = await bodyOf(flags);
  const headers = parseHeaders(flags.header);
  if (body !== undefined && headers["content-type"] === undefined)
    headers["content-type"] = "application/json";
  let path = pathOf(flags, resolved);
  if (resolved.kind === "url") {
    // A URL's own path is the default; --path or --model replaces it.
    const url = new URL(resolved.origin);
    path ||= `${url.pathname}${url.search}`;
    resolved.origin = url.origin;
  }
  return {
    target: resolved,
    request: {
      method: (flags.method ?? (body === undefined ? "GET" : "POST")).toUpperCase(),
      path,
      headers,
      body,
      bodySource,
    },
    load: {
      connections,
      pipelining: parsePositiveInt(flags.pipelining, "--pipelining"),
      durationMs: parseDurationFlag(flags.duration ?? DEFAULT_DURATION, "--duration"),
      amount,
      rate,
      warmupMs: parseOptionalDuration(flags.warmup, "--warmup"),
      timeoutMs: parseDurationFlag(flags.timeout, "--timeout"),
    },
    baseline: flags.baseline === true,
    jsonFile: flags.json,
    reportFile: flags.report,
    allowErrors: flags.allowErrors === true,
  };
}
