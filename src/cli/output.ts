import { isSluiceError } from "../errors.js";

/** Prints an error as one clear line (and a hint); the stack only with --verbose. Returns the exit code. */
export function reportError(error: unknown, verbose: boolean): number {
  if (isSluiceError(error)) {
    process.stderr.write(`sluice: ${error.message}\n`);
    if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
    if (verbose && error.stack) process.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`sluice: unexpected failure: ${message}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  else process.stderr.write("hint: run again with --verbose for the stack trace\n");
  return 3;
}
