import type { Command } from "commander";
import { parseDurationFlag } from "./options.js";

/** `sluice validate <graph>...`: `<file>: ok` per good file, one line per problem otherwise. */
export function registerValidate(program: Command): void {
  program
    .command("validate")
    .argument("<graph...>", "graph documents (YAML or JSON; MLRun serving functions too)")
    .description("check graph documents: `ok` per file, or errors naming file, step and field")
    .option("--mapping <file>", "class mapping for MLRun serving functions")
    .option("--start-timeout <duration>", "how long loading a graph's modules and classes may take", "60s")
    .action(async (files: string[], options: { mapping?: string; startTimeout: string }) => {
      const { checkGraphFile, formatProblem, withStartDeadline } = await import("../graph/index.js");
      const limit = parseDurationFlag(options.startTimeout, "--start-timeout");
      let failed = false;
      for (const file of files) {
        const check = checkGraphFile(file, options.mapping ? { mapping: options.mapping } : {});
        const problems = await withStartDeadline(
          check,
          limit,
          `graph file ${file}`,
          () => "its step modules (a top-level await?) and class constructors",
        ).catch((error: Error & { exitCode?: number }) => {
          // Module code that never settles may hold timers: leave now, saying why.
          process.stderr.write(`sluice: ${error.message}\n`);
          process.exit(error.exitCode ?? 3);
        });
        if (problems.length === 0) process.stdout.write(`${file}: ok\n`);
        for (const problem of problems) process.stdout.write(`${formatProblem(problem)}\n`);
        failed ||= problems.length > 0;
      }
      if (failed) process.exitCode = 1;
    });
}
