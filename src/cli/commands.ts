import type { Command } from "commander";
import { registerGraph } from "./graph.js";
import { registerInvoke } from "./invoke.js";
import { notBuilt } from "./not-built.js";
import { registerValidate } from "./validate.js";

/** Every command of the command line, in the order `sluice --help` lists them. */
export function registerCommands(program: Command): void {
  notBuilt(
    program
      .command("serve")
      .argument("<graph...>", "graph documents to serve")
      .description("load graphs, serve HTTP and start the graphs' stream triggers")
      .option("--port <n>", "data plane port", "8080")
      .option("--host <addr>", "data plane address", "127.0.0.1")
      .option("--admin-port <n>", "admin plane port", "8081")
      .option("--workers <n>", "processes sharing the port", "1"),
  );
  registerInvoke(program);
  registerValidate(program);
  registerGraph(program);
  notBuilt(
    program
      .command("import")
      .argument("<source>", "mlrun")
      .argument("<file>", "an MLRun serving function (function.yaml)")
      .description("convert an MLRun serving function into a sluice graph"),
  );
  notBuilt(
    program
      .command("deploy")
      .argument("<graph|function>", "graph or function document")
      .description("render and apply Nuclio functions and Jobs; --dry-run prints them")
      .option("--dry-run", "print the objects instead of applying them")
      .option("-o, --output <format>", "yaml | json", "yaml")
      .option("--namespace <ns>", "Kubernetes namespace")
      .option("--image <image>", "container image")
      .option("--wait", "wait until the objects are ready"),
  );
  notBuilt(
    program
      .command("run")
      .argument("<function>", "function document, name or hub:// reference")
      .description("run a batch function (a local process, or a Kubernetes Job / CRD)")
      .option("--local", "run on this machine")
      .option("--param <k=v...>", "a parameter (repeatable)"),
  );
  notBuilt(
    program
      .command("functions")
      .argument("<action>", "list | get | tag | export | import")
      .argument("[args...]")
      .description("the versioned function store"),
  );
  notBuilt(
    program
      .command("bench")
      .argument("<graph|url>", "graph document or URL")
      .description("load-test a graph or endpoint, with a progress bar and a report")
      .option("--connections <n>", "concurrent connections", "50")
      .option("--duration <d>", "how long, e.g. 10s", "10s")
      .option("--body <json>", "request body")
      .option("--path <path>", "request path", "/")
      .option("--baseline", "also load a bare node:http server and print the ratio")
      .option("--json <file>", "write the full result as JSON")
      .option("--report <file>", "write a self-contained HTML report"),
  );
}
