import { homedir } from "node:os";
import { join } from "node:path";

/**
 * Where sluice keeps its state: `$SLUICE_HOME`, else `~/.sluice`. The function store is
 * `functions.db` in it unless `--store` or `$SLUICE_STORE` names another file.
 */
export function sluiceHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.SLUICE_HOME || join(homedir(), ".sluice");
}

/** The store's file: `--store`, else `$SLUICE_STORE`, else `$SLUICE_HOME/functions.db`. */
export function storePath(option?: string, env: NodeJS.ProcessEnv = process.env): string {
  return option || env.SLUICE_STORE || join(sluiceHome(env), "functions.db");
}
