import type { Command } from "commander";

/** `sluice validate <graph>...`: `<file>: ok` per good file, one line per problem otherwise. */
export function registerValidate(program: Command): void {
  program
    .command("validate")
    .argument("<graph...>", "graph documents (YAML or JSON; MLRun serving functions too)")
    .description("check graph documents: `ok` per file, or errors naming file, step and field")
    .option("--mapping <file>", "class mapping for MLRun serving functions")
    .action(async (files: string[], options: { mapping?: string }) => {
      const { checkGraphFile, formatProblem } = await import("../graph/index.js");
      let failed = false;
      for (const file of files) {
        const problems = await checkGraphFile(file, options);
        if (problems.length === 0) process.stdout.write(`${file}: ok\n`);
        for (const problem of problems) process.stdout.write(`${formatProblem(problem)}\n`);
        failed ||= problems.length > 0;
      }
      if (failed) process.exitCode = 1;
    });
}
