import { SluiceError } from "../../errors.js";

/**
 * `--param K=V` pairs → params. A value that is JSON (`3`, `0.5`, `true`, `[1,2]`, `{"a":1}`,
 * `"quoted"`) is taken as such; anything else is a string, so `--param name=iris` needs no quotes.
 */
export function parseParams(pairs: readonly string[] = []): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) {
      throw new SluiceError("SLUICE_ERR_USAGE", `--param "${pair}" is not K=V`, { hint: "--param epochs=3" });
    }
    const key = pair.slice(0, eq);
    if (key === "__proto__" || key === "constructor" || key === "prototype") {
      throw new SluiceError("SLUICE_ERR_USAGE", `--param "${key}" is not allowed as a parameter name`);
    }
    params[key] = parseValue(pair.slice(eq + 1));
  }
  return params;
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The environment a child process reads its params from: all of them as JSON in
 * SLUICE_PARAMS, and each scalar as SLUICE_PARAM_<NAME> (upper case, other characters `_`)
 * so a shell script can use `$SLUICE_PARAM_EPOCHS` without parsing JSON.
 */
export function paramsEnv(params: Record<string, unknown>): Record<string, string> {
  const env: Record<string, string> = { SLUICE_PARAMS: JSON.stringify(params) };
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && typeof value === "object") continue;
    env[`SLUICE_PARAM_${key.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`] = String(value);
  }
  return env;
}
