import type { Command } from "commander";
import { registerBench } from "./bench.js";
import { registerDeploy } from "./deploy.js";
import { registerFunctions } from "./functions.js";
import { registerGraph } from "./graph.js";
import { registerImport } from "./import.js";
import { registerInvoke } from "./invoke.js";
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
  registerDeploy(program);
  registerRun(program);
  registerFunctions(program);
  registerBench(program);
}
