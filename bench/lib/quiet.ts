/**
 * Bench machines are shared: a test suite started by someone else halves a round's figure.
 * Before each round we wait, within limits, for the machine to be idle.
 */
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

/** Machine-wide CPU ticks (all cores) since boot, busy and total. */
export async function cpuTimes(): Promise<{ busy: number; total: number }> {
  // The first line of /proc/stat: user nice system idle iowait irq softirq steal ...
  const line = (await readFile("/proc/stat", "utf8")).split("\n", 1)[0] as string;
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: total - idle, total };
}

/** Share of all cores busy over the next `ms`. */
export async function busyShare(ms = 1000): Promise<number> {
  const a = await cpuTimes();
  await sleep(ms);
  const b = await cpuTimes();
  return (b.busy - a.busy) / Math.max(1, b.total - a.total);
}

const maxBusy = 0.3;
const patienceMs = Number(process.env.SLUICE_BENCH_QUIET_WAIT_SECONDS ?? 90) * 1000;

/**
 * Resolves once the machine is at most 30% busy over a second, or after the patience runs
 * out (then it says so on stderr and the round runs anyway, on a busy machine).
 */
export async function whenQuiet(): Promise<void> {
  const giveUp = performance.now() + patienceMs;
  let share = await busyShare();
  while (share > maxBusy) {
    if (performance.now() > giveUp) {
      process.stderr.write(`  machine still ${(share * 100).toFixed(0)}% busy; measuring anyway\n`);
      return;
    }
    share = await busyShare(2000);
  }
}
