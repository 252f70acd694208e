/**
 * `npm run bench:one-core -- "<server A>" "<server B>"`: both servers pinned to one core and
 * loaded at once (bench/lib/one-core.ts). The tool for "did this change help" and for
 * splitting a gap into its parts: a change of 2-3% shows, where the suite's alternating
 * rounds swing by ±10% on a shared machine.
 *
 * Each command must print its URL (`http://127.0.0.1:<port>`). Options (environment):
 * ONE_CORE_PATH (default `/`), ONE_CORE_BODY (default the suite's request), ONE_CORE_ROUNDS
 * (4), ONE_CORE_SECONDS (8).
 */
import { oneCore } from "./lib/one-core.js";

const [commandA, commandB] = process.argv.slice(2);
if (!commandA || !commandB) {
  console.error('usage: npm run bench:one-core -- "<server command A>" "<server command B>"');
  process.exit(2);
}
const env = process.env;
const result = await oneCore(commandA, commandB, {
  ...(env.ONE_CORE_PATH ? { path: env.ONE_CORE_PATH } : {}),
  ...(env.ONE_CORE_BODY ? { body: env.ONE_CORE_BODY } : {}),
  rounds: Number(env.ONE_CORE_ROUNDS ?? 4),
  seconds: Number(env.ONE_CORE_SECONDS ?? 8),
  report: (line) => console.log(line),
});
console.log(
  `B/A medians over ${result.rounds.length} rounds: req/s ${result.rpsRatio.toFixed(3)}, ` +
    `CPU per request ${result.cpuRatio.toFixed(3)}, p99 ${result.p99Ratio.toFixed(3)}`,
);
