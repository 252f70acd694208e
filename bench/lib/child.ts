/** Servers under load run as child processes, so the load generator never shares their loop. */
import { type ChildProcess, spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface Served {
  /** `http://127.0.0.1:<port>` of the data plane. */
  url: string;
  /** The line the server announced itself with (other addresses it serves, such as gRPC's). */
  line: string;
  pid: number;
  /** Resident memory of the process now, in MB (VmRSS of /proc/<pid>/status). */
  rssMb(): Promise<number>;
  /** CPU time the process and its children have used so far (user + system), in seconds. */
  cpuSeconds(): Promise<number>;
  /** SIGTERM, then SIGKILL if it has not exited within 10 s. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
// A bench that throws must not leave servers behind holding the CPU.
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** utime + stime of a /proc/<pid>/stat line, in seconds (0 for a process already gone). */
function cpuOf(stat: string): number {
  if (!stat) return 0;
  // Fields after the ")" of the command name, which may itself hold spaces: utime and stime
  // are the 12th and 13th, in clock ticks (100 a second on Linux).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds of `pid` and every process under it, through the children of each of its threads. */
async function treeCpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  // A worker forked from another thread than the main one is listed under that thread only.
  const threads = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  const children = new Set<string>();
  for (const tid of threads) {
    const listed = await readFile(`/proc/${pid}/task/${tid}/children`, "utf8").catch(() => "");
    for (const c of listed.split(" ").filter(Boolean)) children.add(c);
  }
  let sum = cpuOf(stat);
  for (const c of children) sum += await treeCpuSeconds(Number(c));
  return sum;
}

/**
 * How a server says it is up: a line on its stdout matching `announced` (its URL in group 1),
 * or, for one that prints nothing at warning level (Python servers), `ready` answering 2xx.
 */
type Readiness = { announced: RegExp } | { url: string; ready: string };

/** A Python server imports for seconds on a busy machine; one not up in this long is stuck. */
const readyWithinMs = 180_000;

/** Polls `url` until it answers 2xx, `gaveUp()`, or `readyWithinMs` passed; resolves with whether it answered. */
async function answers(url: string, gaveUp: () => boolean): Promise<boolean> {
  const deadline = performance.now() + readyWithinMs;
  while (!gaveUp() && performance.now() < deadline) {
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return true;
    await sleep(200);
  }
  return false;
}

/** Runs `program` with `args` (and `env` over this process's) and waits until it is `ready`. */
async function serve(
  args: string[],
  readiness: Readiness,
  program = process.execPath,
  env: Record<string, string> = {},
): Promise<Served> {
  const child = spawn(program, args, {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
    // Warnings only: an info line per request would be part of what we measure.
    env: { ...process.env, SLUICE_LOG_LEVEL: "warn", ...env },
  });
  live.add(child);
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let stopping = false;
  let death = "";
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      live.delete(child);
      // Said at once: the load that follows fails with connection errors that hide why.
      death = `${args.join(" ")} (pid ${child.pid}) exited with ${signal ?? `code ${code}`}`;
      if (!stopping) process.stderr.write(`${death} while the bench used it; its stderr:\n${stderr}\n`);
      resolve();
    }),
  );
  const [line, url] = await new Promise<[line: string, url: string]>((resolve, reject) => {
    let out = "";
    let gone = false;
    child.stdout?.on("data", (d: Buffer) => {
      if ("ready" in readiness) return;
      out += d.toString();
      const match = readiness.announced.exec(out);
      if (match) resolve([match[0], match[1] as string]);
    });
    if ("ready" in readiness) {
      const ready = readiness.url + readiness.ready;
      void answers(ready, () => gone).then((ok) => {
        if (ok) return resolve(["", readiness.url]);
        if (gone) return;
        child.kill("SIGKILL");
        reject(
          new Error(
            `${program} ${args.join(" ")}: ${ready} did not answer within ${readyWithinMs / 1000} s:\n${stderr}`,
          ),
        );
      });
    }
    exited.then(() => {
      gone = true;
      reject(new Error(`${args.join(" ")} exited before serving:\n${stderr}`));
    });
  });
  const pid = child.pid as number;
  const proc = (file: string) =>
    readFile(`/proc/${pid}/${file}`, "utf8").catch((error: unknown) => {
      throw new Error(death || `cannot read /proc/${pid}/${file}`, { cause: error });
    });
  return {
    url,
    line,
    pid,
    rssMb: async () => {
      const status = await proc("status");
      const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
      if (kb === undefined) throw new Error(`no VmRSS for pid ${pid}`);
      return Number(kb) / 1024;
    },
    cpuSeconds: async () => {
      // `--workers N` serves from child processes of this one (and a Python server's workers
      // or inference pool from its own): their CPU counts too.
      await proc("stat");
      return treeCpuSeconds(pid);
    },
    stop: async () => {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * `sluice serve` from the built binary (run `npm run build` first) on free ports.
 * `SLUICE_BENCH_NODE_ARGS` adds node flags, e.g. `--cpu-prof` to see where the time goes.
 */
export function serveSluice(graphs: string[], extra: string[] = []): Promise<Served> {
  const nodeArgs = process.env.SLUICE_BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  return serve(
    [...nodeArgs, "bin/sluice.js", "serve", ...graphs, "--port", "0", "--admin-port", "0", ...extra],
    { announced: /sluice: serving .* on (http:\/\/\S+)/ },
  );
}

/** `node <script> <args>` (a path from the repository's root) that prints its URL as `announced` matches. */
export function serveScript(script: string, args: string[], announced: RegExp): Promise<Served> {
  return serve([script, ...args], { announced });
}

/**
 * A shell command pinned to `cores` with taskset (`bench:one-core`), which prints its URL
 * (`http://127.0.0.1:<port>`). taskset execs bash, which execs the command: the child's pid is
 * the server's, so its CPU and memory are read as for the others.
 */
export function servePinned(command: string, cores: string): Promise<Served> {
  return serve(
    ["-c", cores, "bash", "-c", `exec ${command}`],
    { announced: /(http:\/\/127\.0\.0\.1:\d+)/ },
    "taskset",
  );
}

/** The bare `node:http` baseline (bench/lib/bare-server.mjs). */
export function serveBare(): Promise<Served> {
  return serve(["bench/lib/bare-server.mjs"], { announced: /bare: serving on (http:\/\/\S+)/ });
}

/**
 * Any program (a Python model server, say) on `url`, which it was told to listen on; ready when
 * `url + ready` answers 2xx. `env` is added to this process's environment.
 */
export function serveProgram(
  program: string,
  args: string[],
  on: { url: string; ready: string },
  env: Record<string, string> = {},
): Promise<Served> {
  return serve(args, on, program, env);
}

/** Starts a server, hands it to `work`, and stops it whatever happens. */
export async function withServer<T>(start: Promise<Served>, work: (s: Served) => Promise<T>): Promise<T> {
  const served = await start;
  try {
    return await work(served);
  } finally {
    await served.stop();
  }
}
