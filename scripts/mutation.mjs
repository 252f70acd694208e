// `npm run test:mutation [area...] [-- stryker flags]`: StrykerJS on each named core folder
// (all of them when none is named), one after the other, each with its own tests, incremental
// file and HTML report under reports/mutation/<area>/. Not part of `npm test`: it takes hours.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { areas } from "./mutation-areas.mjs";

const root = fileURLToPath(new URL("../", import.meta.url));
const args = process.argv.slice(2);
const named = args.filter((a) => a in areas);
const passed = args.filter((a) => !(a in areas));
const unknown = passed.filter((a) => !a.startsWith("-") && !passed[passed.indexOf(a) - 1]?.startsWith("--"));
if (unknown.length > 0) {
  console.error(`unknown area ${unknown.join(", ")}; the areas are ${Object.keys(areas).join(", ")}`);
  process.exit(2);
}
let failed = 0;
for (const area of named.length > 0 ? named : Object.keys(areas)) {
  console.log(`\nmutation testing: ${area} (${areas[area].mutate.join(", ")})`);
  const run = spawnSync(
    process.execPath,
    ["node_modules/@stryker-mutator/core/bin/stryker.js", "run", "stryker.config.mjs", ...passed],
    { cwd: root, stdio: "inherit", env: { ...process.env, STRYKER_AREA: area } },
  );
  if (run.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
