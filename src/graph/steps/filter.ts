import { type CelProgram, celTruthy } from "../cel.js";
import type { StepContext, StepInstance } from "../contract.js";
import { celArg, checkKnownArgs, stepVars } from "./args.js";

/**
 * `builtin:filter`, `args: {expr: "CEL"}`: passes the input on when the expression is `true`
 * and drops the event otherwise (any other value, `null` or a string included, drops it).
 * `body` is the step's input; `headers` is empty and `path` is "", as a step sees only its input.
 */
export class Filter implements StepInstance {
  readonly #expr: CelProgram;

  constructor(args: Record<string, unknown>) {
    checkKnownArgs("filter", args, ["expr"]);
    this.#expr = celArg("expr", args.expr);
  }

  do(input: unknown, ctx: StepContext): unknown {
    return celTruthy(this.#expr(stepVars(input))) ? input : ctx.drop;
  }
}
