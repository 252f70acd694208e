/**
 * The OIP servers of bench:peers, each serving the same trivial echo model
 * (`POST /v2/models/echo/infer`, outputs = inputs) on loopback, with its settings stated here
 * and in bench/README.md: logs at warning (no line per request), each server's own defaults
 * otherwise (metrics on, its usual event loop).
 */
import { mkdtemp } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Served, serveProgram, serveSluice } from "../lib/child.js";
import { peersDir, venvOf } from "./venv.js";

/** The path every contender is loaded on. */
export const inferPath = "/v2/models/echo/infer";

export interface Contender {
  /** Short name for the table, e.g. "MLServer 1.7.1 (parallel_workers=0)". */
  label: string;
  start(): Promise<Served>;
}

/** A loopback port free right now (the server binds it a moment later). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `sluice serve bench/graphs/oip-echo.yaml` (the gateway bench's OIP graph), logs at warn. */
export function sluice(workers: number): Contender {
  return {
    label: `sluice serve --workers ${workers}`,
    start: () => serveSluice(["bench/graphs/oip-echo.yaml"], ["--workers", String(workers)]),
  };
}

/**
 * MLServer 1.7.1 (`mlserver start bench/peers/mlserver`, the custom runtime in echo/model.py),
 * configured by its environment variables: debug off (no access log, logs at INFO with none per
 * request), `parallel_workers` as given (0: the model runs in the HTTP server's own event loop;
 * 1, its default: one inference-pool process). Its gRPC and metrics servers stay on, idle.
 */
export function mlserver(parallelWorkers: number): Contender {
  return {
    label: `MLServer 1.7.1 (parallel_workers=${parallelWorkers})`,
    async start() {
      const { bin } = await venvOf("mlserver");
      const [http, grpc, metrics] = [await freePort(), await freePort(), await freePort()];
      // Its metrics and environments folders default to the working directory: not the repository.
      const scratch = await mkdtemp(join(tmpdir(), "sluice-bench-mlserver-"));
      const url = `http://127.0.0.1:${http}`;
      return serveProgram(
        join(bin, "mlserver"),
        ["start", join(peersDir, "mlserver")],
        { url, ready: `/v2/models/echo/ready` },
        {
          MLSERVER_HOST: "127.0.0.1",
          MLSERVER_HTTP_PORT: String(http),
          MLSERVER_GRPC_PORT: String(grpc),
          MLSERVER_METRICS_PORT: String(metrics),
          MLSERVER_DEBUG: "false",
          MLSERVER_PARALLEL_WORKERS: String(parallelWorkers),
          MLSERVER_METRICS_DIR: join(scratch, "metrics"),
          MLSERVER_ENVIRONMENTS_DIR: join(scratch, "envs"),
          PYTHONDONTWRITEBYTECODE: "1",
        },
      );
    },
  };
}

/**
 * KServe 0.21.0's model server (bench/peers/kserve/model.py, a `kserve.Model` whose predict
 * echoes), `--workers` uvicorn processes, uvloop (its "auto" loop), the per-request latency log
 * off and its loggers at WARNING (logging.json); its gRPC server off, as nothing calls it.
 */
export function kserve(workers: number): Contender {
  return {
    label: `KServe 0.21.0 (--workers ${workers})`,
    async start() {
      const { python } = await venvOf("kserve");
      const http = await freePort();
      const dir = join(peersDir, "kserve");
      return serveProgram(
        python,
        [
          join(dir, "model.py"),
          ...["--http_port", String(http), "--grpc_port", String(await freePort())],
          ...["--workers", String(workers), "--enable_grpc", "false"],
          ...["--enable_latency_logging", "false", "--log_config_file", join(dir, "logging.json")],
        ],
        { url: `http://127.0.0.1:${http}`, ready: `/v2/models/echo/ready` },
        { PYTHONDONTWRITEBYTECODE: "1" },
      );
    },
  };
}
