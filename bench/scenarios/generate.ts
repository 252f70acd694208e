/**
 * Text generation (docs/generate.md): `POST /v2/models/tokens/generate_stream` of a fake token
 * model (bench/graphs/generate-model.mjs) against a bare node:http server streaming the same
 * tokens as the same events (bench/lib/bare-sse-server.mjs), both child processes, in
 * alternating rounds. Two figures: the time to the first byte of a 20-token answer, one
 * request at a time; and tokens per second over 4 streams of 5,000 tokens at once.
 */
import { Agent, request } from "node:http";
import { serveScript, serveSluice, withServer } from "../lib/child.js";
import { median } from "../lib/measure.js";
import { whenQuiet } from "../lib/quiet.js";
import type { Scenario } from "../lib/scenario.js";

const path = "/v2/models/tokens/generate_stream";
const rounds = Number(process.env.SLUICE_BENCH_ROUNDS ?? 5);
const ttfbRequests = 400;
const streams = 4;
const streamTokens = 5_000;

/** One streamed answer: the time to its first body byte and its events, read as they come. */
function generate(url: string, agent: Agent, maxTokens: number): Promise<{ ttfbMs: number; events: number }> {
  const body = JSON.stringify({ text_input: "go", parameters: { max_tokens: maxTokens } });
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(
      url + path,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": body.length },
      },
      (res) => {
        if (res.statusCode !== 200) reject(new Error(`${url}: status ${res.statusCode}`));
        let ttfbMs = -1;
        let events = 0;
        res.on("data", (chunk: Buffer) => {
          if (ttfbMs < 0) ttfbMs = performance.now() - started;
          // Events end with a blank line; JSON data never holds a raw newline.
          for (let at = chunk.indexOf("\n\n"); at >= 0; at = chunk.indexOf("\n\n", at + 2)) events++;
        });
        res.on("end", () => resolve({ ttfbMs, events }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function ttfb(url: string, agent: Agent): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < ttfbRequests; i++) times.push((await generate(url, agent, 20)).ttfbMs);
  return median(times);
}

async function tokensPerSecond(url: string, agent: Agent): Promise<number> {
  const started = performance.now();
  const answers = await Promise.all(
    Array.from({ length: streams }, () => generate(url, agent, streamTokens)),
  );
  const events = answers.reduce((sum, a) => sum + a.events, 0);
  if (events !== streams * streamTokens)
    throw new Error(`${url}: ${events} events of ${streams * streamTokens}`);
  return events / ((performance.now() - started) / 1000);
}

async function run() {
  return withServer(serveSluice(["bench/graphs/generate.yaml"]), (sluice) =>
    withServer(
      serveScript("bench/lib/bare-sse-server.mjs", [], /bare sse: serving on (http:\/\/\S+)/),
      async (bare) => {
        const agent = new Agent({ keepAlive: true, maxSockets: streams });
        const sides = [
          { url: sluice.url, ttfb: [] as number[], rate: [] as number[] },
          { url: bare.url, ttfb: [] as number[], rate: [] as number[] },
        ];
        // Warm-up, not counted.
        for (const side of sides) {
          await ttfb(side.url, agent);
          await tokensPerSecond(side.url, agent);
        }
        for (let r = 0; r < rounds; r++) {
          for (const side of r % 2 === 0 ? sides : [...sides].reverse()) {
            await whenQuiet();
            side.ttfb.push(await ttfb(side.url, agent));
            side.rate.push(await tokensPerSecond(side.url, agent));
          }
        }
        agent.destroy();
        const [s, b] = sides as [(typeof sides)[0], (typeof sides)[0]];
        const ratio = (of: (side: typeof s) => number[]) =>
          median(of(s).map((v, i) => v / (of(b)[i] as number)));
        process.stderr.write(
          `  tokens/s per round: sluice ${s.rate.map(Math.round).join(" ")} | bare ${b.rate.map(Math.round).join(" ")}\n`,
        );
        return {
          subject: median(s.rate),
          baseline: median(b.rate),
          ratio: ratio((side) => side.rate),
          more: [
            {
              name: "generate: time to first byte of a 20-token stream, vs bare node:http SSE",
              unit: "ms",
              subject: median(s.ttfb),
              baseline: median(b.ttfb),
              ratio: ratio((side) => side.ttfb),
              bar: {},
            },
          ],
        };
      },
    ),
  );
}

export const generateScenarios: Scenario[] = [
  {
    name: "generate: tokens/s over 4 streams of 5,000 tokens, vs bare node:http SSE",
    unit: "tokens/s",
    bar: {},
    run,
  },
];
