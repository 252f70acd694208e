import type { Command } from "commander";
import { SluiceError } from "../errors.js";

/** A command of DESIGN.md that is listed in --help but not built yet: it says so and exits 2. */
export function notBuilt(command: Command): Command {
  return command.allowUnknownOption().action(() => {
    throw new SluiceError("SLUICE_ERR_NOT_BUILT", `\`sluice ${command.name()}\` is not built yet`, {
      hint: "see `sluice --help` for the commands that work today",
    });
  });
}
