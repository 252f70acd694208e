import type { Logger, StepContext, StepInstance } from "../contract.js";
import { getPath } from "../paths.js";
import { StepArgsError } from "../problems.js";
import { checkKnownArgs, pathArg } from "./args.js";

const LEVELS = ["debug", "info", "warn", "error"] as const;
type Level = (typeof LEVELS)[number];

/**
 * `builtin:log`, `args: {level?, message?, fields?: ["a.b"]}`: logs the input (as `body`), or
 * only the listed dotted fields (as `fields`), with the step's logger, and passes the input on.
 */
export class Log implements StepInstance {
  readonly #level: Level;
  readonly #message: string;
  readonly #fields: { name: string; segments: string[] }[] | undefined;

  constructor(args: Record<string, unknown>) {
    checkKnownArgs("log", args, ["level", "message", "fields"]);
    const level = args.level ?? "info";
    if (!LEVELS.includes(level as Level)) {
      throw new StepArgsError(
        "level",
        `level must be one of ${LEVELS.join(", ")}, not ${JSON.stringify(level)}`,
      );
    }
    this.#level = level as Level;
    if (args.message !== undefined && typeof args.message !== "string") {
      throw new StepArgsError("message", "message must be a string");
    }
    this.#message = args.message ?? "event";
    if (args.fields !== undefined) {
      if (!Array.isArray(args.fields) || args.fields.length === 0) {
        throw new StepArgsError("fields", "fields must be a non-empty list of dotted paths");
      }
      this.#fields = args.fields.map((name: unknown) => {
        if (typeof name !== "string")
          throw new StepArgsError("fields", "fields must list dotted paths (strings)");
        return { name, segments: pathArg("fields", name) };
      });
    }
  }

  do(input: unknown, ctx: StepContext): unknown {
    const logger: Logger = ctx.logger;
    if (this.#fields === undefined) {
      logger[this.#level]({ body: input }, this.#message);
    } else {
      const fields: Record<string, unknown> = {};
      for (const { name, segments } of this.#fields) fields[name] = getPath(input, segments);
      logger[this.#level]({ fields }, this.#message);
    }
    return input;
  }
}
