import type { StepInstance } from "../contract.js";
import { checkKnownArgs } from "./args.js";

/** `builtin:echo`: returns its input unchanged (a placeholder, or a join's visible output). */
export class Echo implements StepInstance {
  constructor(args: Record<string, unknown>) {
    checkKnownArgs("echo", args, []);
  }

  do(input: unknown): unknown {
    return input;
  }
}
