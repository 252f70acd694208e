/**
 * A graph with one remote step in front of a trivial upstream (bench/lib/bare-server.mjs),
 * against the same upstream behind a bare node:http + undici proxy (remote-proxy.mjs): both
 * child processes, loaded by autocannon with the same settings and body (bench/lib/load.ts).
 * The gap is the price of the graph and of the resilience on every call (breaker, deadline).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot, type Served, serveBare, serveSluice, withServer } from "../lib/child.js";
import { sideBySideHttp } from "../lib/load.js";
import type { Figure, Scenario } from "../lib/scenario.js";

/**
 * Starts `node <script> <args>` from bench/scenarios and waits for the URL it announces.
 * (bench/lib/child.ts does the same for sluice and the bare server, and keeps it private.)
 */
export async function serveScript(script: string, args: string[], announced: RegExp): Promise<Served> {
  const child: ChildProcess = spawn(
    process.execPath,
    [join(repoRoot, "bench", "scenarios", script), ...args],
    {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // A bench that throws must not leave servers behind holding the CPU.
  const kill = () => child.kill("SIGKILL");
  process.once("exit", kill);
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const match = announced.exec(out);
      if (match) resolve(match[1] as string);
    });
    exited.then(() => reject(new Error(`${script} exited before serving`)));
  });
  const pid = child.pid as number;
  return {
    url,
    pid,
    rssMb: async () =>
      Number(/^VmRSS:\s+(\d+) kB/m.exec(await readFile(`/proc/${pid}/status`, "utf8"))?.[1]) / 1024,
    cpuSeconds: async () => {
      // utime and stime: the 12th and 13th fields after the command name, in 1/100 s.
      const stat = await readFile(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return (Number(fields[11]) + Number(fields[12])) / 100;
    },
    stop: async () => {
      process.off("exit", kill);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(kill, 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

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
    bar: { ratioAtLeast: 0.85 },
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
            serveScript("remote-proxy.mjs", [`${upstream.url}/`], /proxy: serving on (http:\/\/\S+)/),
            async (proxy) => {
              const { subject: s, baseline: b } = await sideBySideHttp(
                { url: `${sluice.url}/`, cpuSeconds: sluice.cpuSeconds },
                { url: `${proxy.url}/`, cpuSeconds: proxy.cpuSeconds },
              );
              const row = (what: string, unit: string, subject: number, baseline: number): Figure => ({
                name: `${name}: ${what}`,
                unit,
                subject,
                baseline,
                ratio: subject / baseline,
                bar: {},
              });
              return {
                subject: s.rps,
                baseline: b.rps,
                ratio: s.rps / b.rps,
                more: [
                  row("p99 latency", "ms", s.p99, b.p99),
                  // The proxy's process against sluice's: the upstream's CPU is in neither.
                  row("CPU per request", "µs", s.cpuUs, b.cpuUs),
                ],
              };
            },
          ),
        );
      }),
  },
];
