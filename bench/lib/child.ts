/** Servers under load run as child processes, so the load generator never shares their loop. */
import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
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

/** Runs `program` with `args` and waits for the line matching `announced` (its URL in group 1). */
async function serve(args: string[], announced: RegExp, program = process.execPath): Promise<Served> {
  const child = spawn(program, args, {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
    // Warnings only: an info line per request would be part of what we measure.
    env: { ...process.env, SLUICE_LOG_LEVEL: "warn" },
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
  const [line, url] = await new Promise<RegExpExecArray>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const match = announced.exec(out);
      if (match) resolve(match);
    });
    exited.then(() => reject(new Error(`${args.join(" ")} exited before serving:\n${stderr}`)));
  });
  const pid = child.pid as number;
  const proc = (file: string) =>
    readFile(`/proc/${pid}/${file}`, "utf8").catch((error: unknown) => {
      throw new Error(death || `cannot read /proc/${pid}/${file}`, { cause: error });
    });
  return {
    url: url as string,
    line,
    pid,
    rssMb: async () => {
      const status = await proc("status");
      const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
      if (kb === undefined) throw new Error(`no VmRSS for pid ${pid}`);
      return Number(kb) / 1024;
    },
    cpuSeconds: async () => {
      // `--workers N` serves from child processes of this one: their CPU counts too.
      const children = (await proc(`task/${pid}/children`)).split(" ").filter(Boolean);
      const stats = [await proc("stat")];
      for (const c of children) stats.push(await readFile(`/proc/${c}/stat`, "utf8").catch(() => ""));
      return stats.reduce((sum, stat) => sum + cpuOf(stat), 0);
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
    /sluice: serving .* on (http:\/\/\S+)/,
  );
}

/** `node <script> <args>` (a path from the repository's root) that prints its URL as `announced` matches. */
export function serveScript(script: string, args: string[], announced: RegExp): Promise<Served> {
  return serve([script, ...args], announced);
}

/**
 * A shell command pinned to `cores` with taskset (`bench:one-core`), which prints its URL
 * (`http://127.0.0.1:<port>`). taskset execs bash, which execs the command: the child's pid is
 * the server's, so its CPU and memory are read as for the others.
 */
export function servePinned(command: string, cores: string): Promise<Served> {
  return serve(["-c", cores, "bash", "-c", `exec ${command}`], /(http:\/\/127\.0\.0\.1:\d+)/, "taskset");
}

/** The bare `node:http` baseline (bench/lib/bare-server.mjs). */
export function serveBare(): Promise<Served> {
  return serve(["bench/lib/bare-server.mjs"], /bare: serving on (http:\/\/\S+)/);
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
