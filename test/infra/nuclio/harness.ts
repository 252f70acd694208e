/**
 * A stand-in for Nuclio's processor, which cannot be built here (the Go module proxy refuses
 * github.com/nuclio/nuclio). It follows the processor's side of the Node.js runtime contract:
 * it listens on a Unix socket, starts `node wrapper.cjs <socket> <handler file> <handler name>`
 * (wrapper.cjs is ours, written to behave like Nuclio's wrapper.js), sends each event as one
 * JSON line encoded as the processor does (body in base64, timestamp in seconds, trigger,
 * and topic/offset/shard_id/num_shards for stream triggers), and reads back the wrapper's
 * newline-delimited `s` (started), `l` (log), `m` (metric) and `r` (response) messages.
 * Events go one at a time, as to one Nuclio worker. A handler that never calls back is a
 * timeout (504, and the wrapper is restarted); a wrapper that dies is a 500 "EOF" for the
 * event in flight and for every later one, as with the real processor.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const wrapperFile = fileURLToPath(new URL("./wrapper.cjs", import.meta.url));

export interface HarnessOptions {
  /** The handler module's file (Nuclio's handler directory + file). */
  handlerFile: string;
  handlerName?: string;
  /** The function's environment (SLUICE_GRAPH, SLUICE_FUNCTION...), added to this process's. */
  env?: Record<string, string>;
  /** Nuclio's `eventTimeout`: how long an event may go unanswered. Default 5 s. */
  eventTimeoutMs?: number;
}

/** One event as a trigger hands it to the processor. */
export interface HarnessEvent {
  body?: Buffer | string | undefined;
  contentType?: string;
  headers?: Record<string, string>;
  method?: string;
  path?: string;
  trigger?: { kind: string; name: string };
  /** Stream triggers. */
  topic?: string;
  offset?: number;
  shardId?: number;
  numShards?: number;
}

export interface HarnessResponse {
  status: number;
  contentType: string;
  headers: Record<string, string>;
  body: Buffer;
  /** How the event ended: the handler answered, the event timed out, or the wrapper died. */
  outcome: "answered" | "timeout" | "crashed";
}

export interface LogRecord {
  level: string;
  message: string;
  with: Record<string, unknown>;
}

interface Pending {
  resolve: (response: HarnessResponse) => void;
  timer: NodeJS.Timeout;
}

export class NuclioHarness {
  readonly logs: LogRecord[] = [];
  readonly durations: number[] = [];
  #output = "";
  #child: ChildProcess | undefined;
  #pending: Pending | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #exitCode: number | null | undefined;
  #server: Server | undefined;
  #closed = false;
  #restarting: Promise<void> | undefined;
  readonly #dir = mkdtempSync(join(tmpdir(), "nuclio-harness-"));
  readonly #socketPath = join(this.#dir, "wrapper.sock");

  private constructor(readonly options: HarnessOptions) {}

  /** Starts the wrapper and waits for its `s` message (or fails with its output). */
  static async start(options: HarnessOptions): Promise<NuclioHarness> {
    const harness = new NuclioHarness(options);
    await harness.#startWrapper();
    return harness;
  }

  /** What the wrapper printed on stdout and stderr (for failure messages). */
  get output(): string {
    return this.#output;
  }

  /** True while the wrapper process runs. */
  get running(): boolean {
    return this.#exitCode === undefined;
  }

  /** Sends one event and resolves with the response; events are processed one at a time. */
  send(event: HarnessEvent): Promise<HarnessResponse> {
    const turn = this.#queue.then(async () => {
      await this.#restarting;
      return this.#sendNow(event);
    });
    this.#queue = turn.catch(() => {});
    return turn;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#restarting;
    await this.#stopWrapper();
    rmSync(this.#dir, { recursive: true, force: true });
  }

  #sendNow(event: HarnessEvent): Promise<HarnessResponse> {
    if (!this.running || !this.#socket)
      return Promise.resolve(
        failure(500, `EOF (the wrapper is not running: exit ${this.#exitCode})`, "crashed"),
      );
    const body = event.body === undefined ? Buffer.alloc(0) : Buffer.from(event.body);
    const trigger = event.trigger ?? { kind: "http", name: "http" };
    const line: Record<string, unknown> = {
      body: body.toString("base64"),
      content_type: event.contentType ?? "",
      headers: event.headers ?? {},
      fields: {},
      id: randomUUID(),
      method: event.method ?? "POST",
      path: event.path ?? "/",
      url: trigger.kind === "http" ? `http://127.0.0.1${event.path ?? "/"}` : "",
      size: body.length,
      timestamp: Date.now() / 1000,
      trigger,
    };
    if (trigger.kind !== "http" && trigger.kind !== "cron") {
      Object.assign(line, {
        topic: event.topic ?? "",
        offset: event.offset ?? 0,
        shard_id: event.shardId ?? 0,
        num_shards: event.numShards ?? 1,
      });
    }
    const timeoutMs = this.options.eventTimeoutMs ?? 5000;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending = undefined;
        resolve(failure(504, `the event was not answered within ${timeoutMs} ms`, "timeout"));
        // The worker may still be busy with it: start a fresh one for the next event.
        this.#restarting = this.#stopWrapper()
          .then(() => (this.#closed ? undefined : this.#startWrapper()))
          .catch((error: unknown) => {
            this.#output += `\nrestart after the timeout failed: ${String(error)}`;
          });
      }, timeoutMs);
      this.#pending = { resolve, timer };
      this.#socket?.write(`${JSON.stringify(line)}\n`);
    });
  }

  #socket: Socket | undefined;

  #startWrapper(): Promise<void> {
    rmSync(this.#socketPath, { force: true });
    this.#exitCode = undefined;
    return new Promise((resolve, reject) => {
      const fail = (why: string) =>
        reject(new Error(`nuclio harness: the wrapper did not start: ${why}\n${this.#output}`));
      const startTimer = setTimeout(() => fail("no start message within 20 s"), 20_000);
      const server = createServer((socket) => {
        this.#socket = socket;
        let buffered = "";
        socket.on("data", (chunk) => {
          buffered += chunk.toString("utf8");
          let newline = buffered.indexOf("\n");
          while (newline !== -1) {
            const message = buffered.slice(0, newline);
            buffered = buffered.slice(newline + 1);
            if (message[0] === "s") {
              clearTimeout(startTimer);
              resolve();
            } else this.#onMessage(message);
            newline = buffered.indexOf("\n");
          }
        });
        socket.on("error", () => {});
      });
      this.#server = server;
      server.listen(this.#socketPath, () => {
        const child = spawn(
          process.execPath,
          [wrapperFile, this.#socketPath, this.options.handlerFile, this.options.handlerName ?? "handler"],
          { env: { ...process.env, ...this.options.env }, stdio: ["ignore", "pipe", "pipe"] },
        );
        this.#child = child;
        child.stdout?.on("data", (d: Buffer) => {
          this.#output += d.toString();
        });
        child.stderr?.on("data", (d: Buffer) => {
          this.#output += d.toString();
        });
        child.on("exit", (code, signal) => {
          if (this.#child !== child) return;
          this.#exitCode = code ?? (signal ? -1 : null);
          clearTimeout(startTimer);
          fail(`it exited (${code ?? signal})`);
          const pending = this.#pending;
          this.#pending = undefined;
          if (pending) {
            clearTimeout(pending.timer);
            pending.resolve(failure(500, "EOF", "crashed"));
          }
        });
      });
    });
  }

  #onMessage(message: string): void {
    const type = message[0];
    const contents = message.slice(1);
    if (type === "l") this.logs.push(JSON.parse(contents) as LogRecord);
    else if (type === "m") this.durations.push((JSON.parse(contents) as { duration: number }).duration);
    else if (type === "r") {
      const pending = this.#pending;
      this.#pending = undefined;
      if (!pending) return;
      clearTimeout(pending.timer);
      const r = JSON.parse(contents) as {
        body: string;
        content_type: string;
        headers: Record<string, unknown> | null;
        status_code: number;
        body_encoding: string;
      };
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(r.headers ?? {})) headers[k] = String(v);
      pending.resolve({
        status: r.status_code,
        contentType: r.content_type,
        headers,
        body: Buffer.from(r.body ?? "", r.body_encoding === "base64" ? "base64" : "utf8"),
        outcome: "answered",
      });
    }
  }

  async #stopWrapper(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    this.#socket?.destroy();
    this.#socket = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    }
    await new Promise((resolve) => (this.#server ? this.#server.close(resolve) : resolve(undefined)));
    this.#server = undefined;
  }
}

function failure(status: number, text: string, outcome: HarnessResponse["outcome"]): HarnessResponse {
  return { status, contentType: "text/plain", headers: {}, body: Buffer.from(text), outcome };
}
