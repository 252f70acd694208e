import { readFileSync } from "node:fs";

/** sluice's own version, from its package.json (what `--version` and `GET /v2` report). */
export const version: string = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;
