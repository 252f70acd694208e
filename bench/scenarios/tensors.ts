/**
 * Big tensors with the binary tensor extension (issue 19, goal 3): a 1 MiB FP32 tensor through
 * the echo model against a bare node:http server echoing the same bytes, and the resident
 * memory of both under 50 concurrent 4 MiB requests.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { encodeBinaryRequest, INFERENCE_HEADER_CONTENT_LENGTH } from "../../src/graph/oip/index.js";
import { type Served, serveScript, serveSluice, withServer } from "../lib/child.js";
import { httpFigures, load, sideBySideHttp } from "../lib/load.js";
import { oneCore, oneCoreFigures } from "../lib/one-core.js";
import type { Figure, Scenario } from "../lib/scenario.js";

const graph = "bench/graphs/oip-echo.yaml";
const path = "/v2/models/echo/infer";
const MiB = 1024 * 1024;
/** Admits a 4 MiB tensor and its JSON header (the default, 4mb, would not). */
const bodyLimit = ["--body-limit", "8mb"];
/** Big bodies need few connections to fill the pipe; 50 would only queue. */
const connections = 8;

/** A binary infer request for `bytes` of FP32 (the answer asked for in binary too). */
export function binaryEchoRequest(bytes: number): { body: Buffer; headers: Record<string, string> } {
  const data = new Float32Array(bytes / 4).map((_, i) => i * 0.5);
  const { body, headerLength } = encodeBinaryRequest({
    id: "bench-tensor",
    parameters: { binary_data_output: true },
    inputs: [{ name: "x", shape: [1, data.length], datatype: "FP32", data }],
  });
  return {
    body,
    headers: {
      "content-type": "application/octet-stream",
      [INFERENCE_HEADER_CONTENT_LENGTH]: String(headerLength),
    },
  };
}

const serveBareEcho = () =>
  serveScript("bench/lib/bare-echo-server.mjs", [], /bare echo: serving on (http:\/\/\S+)/);

/**
 * Sends `request` once and checks the answer carries the tensor's bytes exactly: a figure of a
 * server that answers something else would say nothing.
 */
async function checkEcho(url: string, request: { body: Buffer; headers: Record<string, string> }) {
  const response = await fetch(url, { method: "POST", headers: request.headers, body: request.body });
  const answer = Buffer.from(await response.arrayBuffer());
  const headerLength = Number(response.headers.get(INFERENCE_HEADER_CONTENT_LENGTH));
  const sent = request.body.subarray(Number(request.headers[INFERENCE_HEADER_CONTENT_LENGTH]));
  if (response.status !== 200 || !answer.subarray(headerLength).equals(sent)) {
    throw new Error(`${url} did not echo the tensor's bytes (status ${response.status})`);
  }
}

const tensorName = "tensors: 1 MiB FP32 binary echo vs bare node:http echoing the bytes";

async function tensorEcho() {
  const request = binaryEchoRequest(MiB);
  const options = { connections, body: request.body, headers: request.headers };
  const alternating = await withServer(serveSluice([graph], bodyLimit), (sluice) =>
    withServer(serveBareEcho(), async (bare) => {
      await checkEcho(sluice.url + path, request);
      await checkEcho(bare.url + path, request);
      return sideBySideHttp(
        { url: sluice.url + path, cpuSeconds: sluice.cpuSeconds },
        { url: bare.url + path, cpuSeconds: bare.cpuSeconds },
        options,
      );
    }),
  );
  const figures = httpFigures(tensorName, alternating, {});
  const mibPerSecond = (rps: number) => (rps * request.body.length) / MiB;
  figures.more.unshift({
    name: `${tensorName}: MiB/s of request bodies answered`,
    unit: "MiB/s",
    subject: mibPerSecond(alternating.subject.rps),
    baseline: mibPerSecond(alternating.baseline.rps),
    ratio: alternating.ratios.rps,
    bar: {},
  });
  const paired = await oneCore(
    "node bench/lib/bare-echo-server.mjs",
    `node bin/sluice.js serve ${graph} --port 0 --admin-port 0 ${bodyLimit.join(" ")}`,
    { path, ...options, report: (line) => process.stderr.write(`  one core: ${line}\n`) },
  );
  figures.more.push(...oneCoreFigures(tensorName, paired, { rps: { ratioAtLeast: 0.8 } }));
  return figures;
}

/** Resident memory while `work` runs, read every 50 ms: the highest reading. */
async function peakRss(server: Served, work: () => Promise<unknown>): Promise<number> {
  let peak = await server.rssMb();
  let running = true;
  const sampling = (async () => {
    while (running) {
      peak = Math.max(peak, await server.rssMb());
      await sleep(50);
    }
  })();
  try {
    await work();
  } finally {
    running = false;
    await sampling;
  }
  return peak;
}

const rssName = "tensors: peak RSS under 50 concurrent 4 MiB binary echo requests, vs bare node:http";
const rssSeconds = 10;

/**
 * Each server alone, idle then under 50 connections each sending a 4 MiB tensor as soon as its
 * last answer came: what a burst of big requests holds in memory at once.
 */
async function rssUnderBigRequests() {
  const request = binaryEchoRequest(4 * MiB);
  const measure = async (server: Served) => {
    await checkEcho(server.url + path, request);
    await sleep(2000);
    const idle = await server.rssMb();
    const peak = await peakRss(server, () =>
      // 200 MiB in flight at once take their time on a busy machine: a slow answer is not an error here.
      load(server.url + path, rssSeconds, { connections: 50, timeoutSeconds: 60, ...request }),
    );
    return { idle, peak };
  };
  const sluice = await withServer(serveSluice([graph], bodyLimit), measure);
  const bare = await withServer(serveBareEcho(), measure);
  process.stderr.write(
    `  RSS MB: sluice idle ${sluice.idle.toFixed(0)} peak ${sluice.peak.toFixed(0)} | ` +
      `bare idle ${bare.idle.toFixed(0)} peak ${bare.peak.toFixed(0)}\n`,
  );
  const row = (what: string, s: number, b: number): Figure => ({
    name: `${rssName}: ${what}`,
    unit: "MB",
    subject: s,
    baseline: b,
    ratio: s / b,
    bar: {},
  });
  return {
    subject: sluice.peak,
    baseline: bare.peak,
    ratio: sluice.peak / bare.peak,
    more: [
      row("growth over idle", sluice.peak - sluice.idle, bare.peak - bare.idle),
      row("idle before the load", sluice.idle, bare.idle),
    ],
  };
}

export const tensorScenarios: Scenario[] = [
  { name: tensorName, unit: "req/s", bar: { ratioAtLeast: 0.8 }, run: tensorEcho },
  { name: rssName, unit: "MB", bar: { ratioAtMost: 1.5 }, run: rssUnderBigRequests },
];
