/**
 * A graph with one remote step in front of a trivial upstream (bench/lib/bare-server.mjs),
 * against the same upstream behind a bare node:http + undici proxy (remote-proxy.mjs): both
 * child processes, loaded by autocannon with the same settings and body (bench/lib/load.ts),
 * in alternating rounds, then both on one core at once with the upstream moved to the load's
 * cores (bench/lib/one-core.ts). The gap is the price of the graph and of the resilience on
 * every call (breaker, deadline); the JSON passes through unparsed, as through the proxy.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { serveBare, serveScript, serveSluice, withServer } from "../lib/child.js";
import { httpFigures, sideBySideHttp } from "../lib/load.js";
import { oneCore, oneCoreFigures } from "../lib/one-core.js";
import type { Scenario } from "../lib/scenario.js";

/** Writes a graph document to a temporary file (the upstream's URL is known only at run time). */
export async function graphFile(name: string, steps: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "sluice-bench-"));
  const file = join(dir, `${name}.yaml`);
  await writeFile(
    file,
    `apiVersion: sluice/v1\nkind: Graph\nmetadata: {name: ${name}}\nspec:\n  steps:\n${steps}\n`,
  );
  return file;
}

const name = "remote: 1 remote step vs bare node:http + undici proxy";

export const remoteScenarios: Scenario[] = [
  {
    name,
    unit: "req/s",
    bar: { ratioAtLeast: 0.95 },
    run: () =>
      withServer(serveBare(), async (upstream) => {
        // The step as a user would write it, resilience on: a breaker (the default), a
        // timeout, and retries that never fire here because the upstream never fails.
        const graph = await graphFile(
          "remote",
          `    call: {kind: remote, url: "${upstream.url}/", timeout: 5s, retries: 2}`,
        );
        return withServer(serveSluice([graph]), (sluice) =>
          withServer(
            serveScript(
              "bench/scenarios/remote-proxy.mjs",
              [`${upstream.url}/`],
              /proxy: serving on (http:\/\/\S+)/,
            ),
            async (proxy) => {
              // The proxy's process against sluice's: the upstream's CPU is in neither.
              const figures = httpFigures(
                name,
                await sideBySideHttp(
                  { url: `${sluice.url}/`, cpuSeconds: sluice.cpuSeconds },
                  { url: `${proxy.url}/`, cpuSeconds: proxy.cpuSeconds },
                ),
              );
              // On one core: the two servers share the last core, the upstream that serves
              // both goes to the load's cores, so it takes from neither.
              execFileSync(
                "taskset",
                ["-a", "-p", "-c", `0-${availableParallelism() - 2}`, String(upstream.pid)],
                {
                  stdio: "ignore",
                },
              );
              const paired = await oneCore(
                `node bench/scenarios/remote-proxy.mjs ${upstream.url}/`,
                `node bin/sluice.js serve ${graph} --port 0 --admin-port 0`,
                { path: "/", report: (line) => process.stderr.write(`  one core: ${line}\n`) },
              );
              figures.more.push(
                ...oneCoreFigures(name, paired, { rps: { ratioAtLeast: 0.95 }, p99: { ratioAtMost: 1.3 } }),
              );
              return figures;
            },
          ),
        );
      }),
  },
];
