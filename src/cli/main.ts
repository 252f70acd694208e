import { Command, CommanderError } from "commander";
import { isSluiceError } from "../errors.js";
import { version } from "../version.js";
import { registerCommands } from "./commands.js";
import { reportError } from "./output.js";

/** Builds the `sluice` program; exported for tests and for embedding. */
export function buildProgram(): Command {
  const program = new Command("sluice")
    .description("An event-driven serving gateway and stream processor for serving graphs.")
    .version(version, "-V, --version")
    .option("--verbose", "print stack traces with errors")
    .showHelpAfterError("(run `sluice --help` for usage)")
    .exitOverride();
  registerCommands(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Runs the command line; resolves to the process exit code (0 ok, 1 user error, 2 usage, 3 failure). */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0; everything else is a usage error.
      return error.exitCode === 0 ? 0 : 2;
    }
    const verbose = program.opts<{ verbose?: boolean }>().verbose === true || argv.includes("--verbose");
    return reportError(error, verbose || !isSluiceError(error) ? verbose : false);
  }
}
