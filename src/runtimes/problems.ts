import { SluiceError } from "../errors.js";
import { formatProblem, type Problem } from "../graph/problems.js";

export type { Problem };

/** Thrown when a function document has problems; carries all of them, not just the first. */
export class FunctionInvalidError extends SluiceError {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    const first = problems[0];
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
    super("SLUICE_ERR_FUNCTION_INVALID", `${first ? formatProblem(first) : "invalid function"}${more}`, {
      ...(problems.length > 1
        ? { hint: `every problem:\n  ${problems.map(formatProblem).join("\n  ")}` }
        : {}),
    });
    this.name = "FunctionInvalidError";
    this.problems = problems;
  }
}

/** A mistake made through the fluent API, located at the field it would have written. */
export function invalidCall(method: string, at: string, message: string): FunctionInvalidError {
  return new FunctionInvalidError([{ file: `${method}()`, pointer: at, message }]);
}

export { formatProblem };
