import { SluiceError } from "../errors.js";

/**
 * One thing wrong with a graph document, located as precisely as we can: the file, the step,
 * the field as a JSON pointer, and for YAML the line.
 */
export interface Problem {
  file: string;
  /** JSON pointer to the offending field, e.g. `/spec/steps/enrich/after/0`. */
  pointer: string;
  /** The step the field belongs to, when there is one. */
  step?: string;
  line?: number;
  message: string;
}

/** `file:line: step "s": /pointer: message`, one line per problem. */
export function formatProblem(problem: Problem): string {
  const where = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}`;
  const step = problem.step === undefined ? "" : ` step "${problem.step}":`;
  return `${where}:${step} ${problem.pointer || "/"}: ${problem.message}`;
}

/** Thrown when a graph document has problems; carries all of them, not just the first. */
export class GraphInvalidError extends SluiceError {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    const first = problems[0];
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
    super("SLUICE_ERR_GRAPH_INVALID", `${first ? formatProblem(first) : "invalid graph"}${more}`, {
      ...(problems.length > 1 ? { hint: "run `sluice validate` to see every problem" } : {}),
    });
    this.problems = problems;
  }
}

/** Builds a JSON pointer from path segments, escaping `~` and `/`. */
export function pointer(...segments: (string | number)[]): string {
  return segments.map((s) => `/${String(s).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}

/** The step a pointer lies in: `/spec/steps/<name>/...` or `/spec/steps/<r>/routes/<route>/...`. */
export function stepOfPointer(path: string): string | undefined {
  const parts = path
    .split("/")
    .slice(1)
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
  if (parts[0] !== "spec") return undefined;
  if (parts[1] === "steps" && parts[2] !== undefined) {
    return parts[3] === "routes" && parts[4] !== undefined ? `${parts[2]}/${parts[4]}` : parts[2];
  }
  if (parts[1] === "router" && parts[2] === "routes" && parts[3] !== undefined) return parts[3];
  return undefined;
}

/**
 * Thrown by a step's constructor (built-in steps, routers) when its `args` are wrong; the
 * compiler turns it into a Problem pointing at `<step>/args/<field>`.
 */
export class StepArgsError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = "StepArgsError";
    this.field = field;
  }
}
