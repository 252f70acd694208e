import type { Command } from "commander";
import { SluiceError } from "../errors.js";
import type { BenchFlags } from "../loadtest/index.js";

interface BenchCliFlags extends BenchFlags {
  compare?: string[];
}

/** Repeatable flags that take one value each time, so that they never swallow the target. */
const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

const examples = `
Examples:
  sluice bench examples/enrichment/graph.yaml --body '{"user":"u1","amount":250}' --baseline
  sluice bench examples/inference/graph.yaml --model iris --oip-input features:FP32:1x4 --report bench.html
  sluice bench http://127.0.0.1:8080/health --connections 10 --duration 30s --rate 2000 --json b.json
  sluice bench --compare before.json after.json
`;

/**
 * `sluice bench <graph|url>`: load-tests a graph (served in a child process for the run) or a
 * running endpoint with autocannon; prints a summary and writes `--json` and `--report` files.
 * Non-2xx answers and failed requests exit 1 unless `--allow-errors`.
 */
export function registerBench(program: Command): void {
  program
    .command("bench")
    .argument("[graph|url]", "graph document to serve for the run, or the URL of a running endpoint")
    .description("load-test a graph or endpoint, with a progress bar and a report")
    .option("-c, --connections <n>", "concurrent connections", "50")
    .option("-d, --duration <d>", "how long to load, e.g. 30s (default: 10s)")
    .option("--amount <n>", "send this many requests instead of loading for a duration")
    .option("-p, --pipelining <n>", "requests in flight on each connection", "1")
    .option("--rate <n>", "offer this many requests/s in all (open loop), to compare latency at a fixed load")
    .option("--method <method>", "request method (default: POST with a body, GET without)")
    .option("--path <path>", "request path (default: /, the URL's own path, or the --model's infer path)")
    .option("-H, --header <k:v>", "request header (repeatable)", collect)
    .option("--body <json>", "request body (JSON)")
    .option("--body-file <file>", "request body from a file, sent as it is")
    .option(
      "--oip-input <name:TYPE:shape>",
      "a random OIP input tensor, e.g. features:FP32:1x4 (repeatable)",
      collect,
    )
    .option("--model <name>", "the OIP model to load: the path becomes /v2/models/<name>/infer")
    .option("--warmup <d>", "load this long first and throw it away (0: no warm-up)", "1s")
    .option("--timeout <d>", "a request unanswered this long counts as a timeout", "10s")
    .option("--workers <n>", "serve the graph with this many processes", "1")
    .option("--baseline", "also load a bare node:http server the same way and print the ratio")
    .option("--json <file>", "write the full result (settings, runs, ratio) as JSON")
    .option("--report <file>", "write a self-contained HTML report with charts")
    .option("--allow-errors", "exit 0 even when answers are non-2xx or requests fail")
    .option("--compare <a.json b.json...>", "print how run b moved against run a (two --json files)")
    .addHelpText("after", examples)
    .action(async (target: string | undefined, flags: BenchCliFlags) => {
      // Loaded on demand, so `sluice --help` stays fast.
      const { compileBenchSettings, runBench, runCompare } = await import("../loadtest/index.js");
      if (flags.compare !== undefined) {
        const [before, after, ...extra] = flags.compare;
        if (target !== undefined || before === undefined || after === undefined || extra.length > 0) {
          throw new SluiceError("SLUICE_ERR_USAGE", "--compare takes two --json files and nothing else", {
            hint: "sluice bench --compare before.json after.json",
          });
        }
        process.exitCode = await runCompare(before, after);
        return;
      }
      process.exitCode = await runBench(await compileBenchSettings(target, flags));
    });
}
