import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
/** What `npm run build` reads: a change to any of these makes dist/ stale. */
const inputs = ["src", "schema", "tsconfig.json", "tsconfig.build.json", "scripts/precompile-schema.mjs"];
/** Written by every build (tsc rewrites all its outputs), so its age is the build's. */
const builtMarker = "dist/cli/main.js";

/** The newest modification time under `path` (a file or a folder), in ms. */
function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

function builtAt(): number {
  try {
    return statSync(join(root, builtMarker)).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Tests that run the `sluice` binary (the CLI, `sluice serve` in a process) run dist/, the
 * build of src/: rebuilt here, once a run, when any source is newer than it, so those tests
 * never pass or fail on a stale build. `npm test` builds first, so this is then a no-op.
 */
export default function setup(): void {
  const sources = Math.max(...inputs.map((input) => newest(join(root, input))));
  if (sources <= builtAt()) return;
  const started = Date.now();
  execFileSync(
    process.execPath,
    [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"],
    {
      cwd: root,
      stdio: "inherit",
    },
  );
  execFileSync(process.execPath, ["scripts/precompile-schema.mjs"], { cwd: root, stdio: "inherit" });
  console.log(`dist/ was older than src/: built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
