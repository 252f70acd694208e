/**
 * Two servers on one shared core, loaded at the same time: `npm run bench:one-core -- "<A>" "<B>"`.
 *
 * On a shared 2-core machine the suite's alternating rounds swing by ±10% from one run to the
 * next, too much to see a change of a few percent. Here both servers are pinned to the last
 * core and loaded together by two autocannon processes on the other cores, so whatever slows
 * the machine slows both alike; the ratio of their CPU time per request then holds to about
 * ±2% round to round. It is the tool for "did this change help", and for splitting a gap
 * into its parts (bench/README.md); the suite's figures stay the alternating rounds.
 *
 * Each command must print its URL (`http://127.0.0.1:<port>`) on stdout or stderr.
 * Options (environment): ONE_CORE_PATH (default `/`), ONE_CORE_BODY (default the suite's
 * request), ONE_CORE_ROUNDS (4), ONE_CORE_SECONDS (8).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { requestBody } from "./lib/load.js";
import { median } from "./lib/measure.js";

const [commandA, commandB] = process.argv.slice(2);
if (!commandA || !commandB) {
  console.error('usage: npm run bench:one-core -- "<server command A>" "<server command B>"');
  process.exit(2);
}
const require = createRequire(import.meta.url);
const cores = availableParallelism();
if (cores < 2) throw new Error("one-core needs 2 cores: one for the servers, the rest for the load");
const serverCore = String(cores - 1);
const loadCores = `0-${cores - 2}`;
const path = process.env.ONE_CORE_PATH ?? "/";
const body = process.env.ONE_CORE_BODY ?? requestBody;
const rounds = Number(process.env.ONE_CORE_ROUNDS ?? 4);
const seconds = Number(process.env.ONE_CORE_SECONDS ?? 8);
const children: ChildProcess[] = [];
process.once("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

interface Server {
  url: string;
  /** CPU seconds (user + system) the server has used so far. */
  cpu(): Promise<number>;
}

async function serve(command: string): Promise<Server> {
  // taskset execs the shell, which execs the command: the pid is the server's.
  const child = spawn("taskset", ["-c", serverCore, "bash", "-c", `exec ${command}`], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, SLUICE_LOG_LEVEL: "warn" },
  });
  children.push(child);
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    const read = (chunk: Buffer) => {
      out += chunk;
      const match = /http:\/\/127\.0\.0\.1:\d+/.exec(out);
      if (match) resolve(match[0]);
    };
    child.stdout?.on("data", read);
    child.stderr?.on("data", read);
    child.once("exit", (code) => reject(new Error(`${command} exited (${code}) before serving:\n${out}`)));
  });
  return {
    url,
    cpu: async () => {
      const stat = await readFile(`/proc/${child.pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return (Number(fields[11]) + Number(fields[12])) / 100;
    },
  };
}

/** autocannon as its own process on the load cores; resolves to the requests it completed. */
function load(url: string, duration: number): Promise<number> {
  const args = ["-c", loadCores, process.execPath, require.resolve("autocannon/autocannon.js")];
  args.push("-j", "-c", "50", "-d", String(duration), "-m", "POST");
  args.push("-H", "content-type=application/json", "-b", body, url + path);
  const child = spawn("taskset", args, { stdio: ["ignore", "pipe", "ignore"] });
  children.push(child);
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d;
  });
  return new Promise((resolve, reject) =>
    child.once("exit", () => {
      try {
        const result = JSON.parse(out) as { requests: { total: number }; non2xx: number; errors: number };
        if (result.non2xx || result.errors)
          throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors`);
        resolve(result.requests.total);
      } catch (error) {
        reject(new Error(`load on ${url}${path} failed: ${(error as Error).message}`));
      }
    }),
  );
}

const a = await serve(commandA);
const b = await serve(commandB);
await Promise.all([load(a.url, 3), load(b.url, 3)]); // warm-up
const ratios: number[] = [];
for (let round = 1; round <= rounds; round++) {
  const cpu0 = [await a.cpu(), await b.cpu()];
  const [na, nb] = await Promise.all([load(a.url, seconds), load(b.url, seconds)]);
  const cpuA = ((await a.cpu()) - (cpu0[0] as number)) / na;
  const cpuB = ((await b.cpu()) - (cpu0[1] as number)) / nb;
  ratios.push(cpuB / cpuA);
  const us = (s: number) => `${(s * 1e6).toFixed(1)} µs`;
  console.log(
    `round ${round}: A ${us(cpuA)}/request (${na}), B ${us(cpuB)}/request (${nb}), B/A ${(cpuB / cpuA).toFixed(3)}`,
  );
}
console.log(`CPU per request, B/A: median ${median(ratios).toFixed(3)} over ${rounds} rounds`);
process.exit(0);
