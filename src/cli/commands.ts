import type { Command } from "commander";
import { registerBench } from "./bench.js";
import { registerFunctions } from "./functions.js";
import { registerGraph } from "./graph.js";
import { registerImport } from "./import.js";
import { registerInvoke } from "./invoke.js";
import { notBuilt } from "./not-built.js";
import { registerRun } from "./run.js";
import { registerServe } from "./serve.js";
import { registerValidate } from "./validate.js";

/** Every command of the command line, in the order `sluice --help` lists them. */
export function registerCommands(program: Command): void {
  registerServe(program);
  registerInvoke(program);
  registerValidate(program);
  registerGraph(program);
  registerImport(program);
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
  registerRun(program);
  registerFunctions(program);
  registerBench(program);
}
