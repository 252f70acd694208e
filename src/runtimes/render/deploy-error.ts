import { SluiceError } from "../../errors.js";

/** A graph or function that cannot be deployed as written: one line naming where and why. */
export function deployInvalid(where: string, why: string, hint?: string): SluiceError {
  return new SluiceError("SLUICE_ERR_RENDER_INVALID", `${where}: ${why}`, hint === undefined ? {} : { hint });
}

/** `step "parse"` or `step "parse", field timeout`: how refusals name their place. */
export function stepField(step: string, field?: string): string {
  return field === undefined ? `step "${step}"` : `step "${step}", field ${field}`;
}
