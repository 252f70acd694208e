/**
 * The OIP contest of bench:peers: sluice serve and the Python model servers (servers.ts) all
 * up at once, each loaded in turn by autocannon with the gateway bench's settings (50
 * connections, the same 103-byte infer request: bench/lib/load.ts) for a round, in rotation.
 */
import type { Served } from "../lib/child.js";
import { httpFigures, type Load, load, loadSettings, medians } from "../lib/load.js";
import { whenQuiet } from "../lib/quiet.js";
import { inRotation, pairedRatio, perRound } from "../lib/rounds.js";
import type { Figure, Measured } from "../lib/scenario.js";
import { type Contender, inferPath, kserve, mlserver, sluice } from "./servers.js";

const contenders: Contender[] = [sluice(1), sluice(2), mlserver(0), mlserver(1), kserve(1), kserve(2)];

/**
 * Which contender is held against which (indices into `contenders`): sluice with one worker
 * against each peer's one-server settings, with two workers against KServe's two.
 */
const comparisons: [subject: number, baseline: number][] = [
  [0, 2],
  [0, 3],
  [0, 4],
  [1, 5],
];

const labelOf = ([s, b]: [number, number]) =>
  `peers: OIP infer, ${contenders[s]?.label} vs ${contenders[b]?.label}`;

/** The scenario's name: its headline is the first comparison's req/s. */
export const oipContestName = labelOf(comparisons[0] as [number, number]);

/** The table's rows: for each comparison, req/s, p99 latency and CPU per request. */
export async function oipContest(): Promise<Measured & { more: Figure[] }> {
  const served: Served[] = [];
  try {
    for (const c of contenders) {
      process.stderr.write(`  starting ${c.label}\n`);
      served.push(await c.start());
    }
    const loadOf = (i: number, seconds: number) => {
      const s = served[i] as Served;
      return load(s.url + inferPath, seconds, { cpuSeconds: s.cpuSeconds });
    };
    for (let i = 0; i < served.length; i++) await loadOf(i, loadSettings.warmupSeconds);
    const loads = await inRotation(contenders.length, loadSettings.rounds, async (i) => {
      await whenQuiet();
      return loadOf(i, loadSettings.roundSeconds);
    });
    contenders.forEach((c, i) => {
      const l = loads[i] as Load[];
      process.stderr.write(
        `  ${c.label}: req/s ${perRound(l, (x) => x.rps)}; CPU µs/request ${perRound(l, (x) => x.cpuUs)}; ` +
          `cores busy with other work ${perRound(l, (x) => x.othersCores, 1)}\n`,
      );
    });
    const rows = comparisons.flatMap((pair): Figure[] => {
      const [s, b] = [loads[pair[0]] as Load[], loads[pair[1]] as Load[]];
      const ratios = {
        rps: pairedRatio(s, b, (l) => l.rps),
        p50: pairedRatio(s, b, (l) => l.p50),
        p99: pairedRatio(s, b, (l) => l.p99),
        cpuUs: pairedRatio(s, b, (l) => l.cpuUs),
      };
      const name = labelOf(pair);
      const { more, ...rps } = httpFigures(name, { subject: medians(s), baseline: medians(b), ratios });
      return [{ name, unit: "req/s", bar: {}, ...rps }, ...more];
    });
    const [{ subject, baseline, ratio }, ...more] = rows as [Figure, ...Figure[]];
    return { subject, baseline, ratio, more };
  } finally {
    for (const s of served) await s.stop();
  }
}
