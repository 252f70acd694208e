/**
 * Issue 19: kafkajs has had no release since 2023; is @platformatic/kafka (maintained, pure JS)
 * faster on the stream bench's pipe? Six pipes drain the same pre-filled topic in one run, on
 * the bench's own broker, in rotation: sluice's Kafka trigger on each client (kafkajs, the
 * default, and `client: platformatic`), the bare kafkajs pipe and the bare @platformatic/kafka
 * pipe (bench/lib/streams-kafka.ts, streams-platformatic.ts: the same work and commit
 * discipline), and the two bare pipes again
 * writing the `x-sluice-event-id` header sluice writes on every output, since what a header
 * costs differs between the clients. Events/s and this process's CPU per event of each drain;
 * ratios paired by round.
 */
import { median } from "../lib/measure.js";
import { whenQuiet } from "../lib/quiet.js";
import { inRotation, pairedRatio, perRound } from "../lib/rounds.js";
import type { Figure, Measured, Scenario } from "../lib/scenario.js";
import { type Drain, drainRate, type Pipe } from "../lib/streams-common.js";
import { bareKafkaPipe, KafkaBed, sluiceKafkaPipe } from "../lib/streams-kafka.js";
import { platformaticKafkaPipe } from "../lib/streams-platformatic.js";

type Start = (bed: KafkaBed, input: string, output: string, group: string) => Promise<Pipe>;

const pipes = {
  sluice: { label: "sluice (kafkajs 2.2.4)", start: sluiceKafkaPipe },
  sluicePlatformatic: {
    label: "sluice (client: platformatic, @platformatic/kafka 1.35.0)",
    start: (...a) => sluiceKafkaPipe(...a, "platformatic"),
  },
  kafkajs: { label: "bare kafkajs 2.2.4", start: bareKafkaPipe },
  platformatic: { label: "bare @platformatic/kafka 1.35.0", start: platformaticKafkaPipe },
  kafkajsId: { label: "bare kafkajs + event id header", start: (...a) => bareKafkaPipe(...a, true) },
  platformaticId: {
    label: "bare @platformatic/kafka + event id header",
    start: (...a) => platformaticKafkaPipe(...a, true),
  },
} satisfies Record<string, { label: string; start: Start }>;
type Name = keyof typeof pipes;
const names = Object.keys(pipes) as Name[];

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const events = env("SLUICE_BENCH_KAFKA_EVENTS", 200_000);
const rounds = env("SLUICE_BENCH_STREAM_ROUNDS", 3);

const name = "streams: Kafka pipe, bare @platformatic/kafka vs bare kafkajs";

async function run(): Promise<Measured & { more: Figure[] }> {
  const bed = await KafkaBed.start();
  try {
    let drains = 0;
    const drainOf = async (i: number, input: string, n: number) => {
      const output = await bed.topic("out", 6);
      const pipe = pipes[names[i] as Name];
      return drainRate(
        () => pipe.start(bed, input, output, `clients-${++drains}-${output}`),
        () => bed.count(output),
        n,
      );
    };
    const input = await bed.topic("in", 6);
    await bed.fill(input, events);
    // Warm-up, not counted: the JIT, and the broker's first groups and topics.
    const warm = await bed.topic("warm", 6);
    await bed.fill(warm, 20_000);
    for (let i = 0; i < names.length; i++) await drainOf(i, warm, 20_000);
    const measured = await inRotation(names.length, rounds, async (i, r) => {
      await whenQuiet();
      process.stderr.write(`  round ${r + 1}/${rounds}: ${pipes[names[i] as Name].label}\n`);
      return drainOf(i, input, events);
    });
    const of = Object.fromEntries(names.map((n, i) => [n, measured[i] as Drain[]])) as Record<Name, Drain[]>;
    for (const n of names) {
      process.stderr.write(
        `  ${pipes[n].label}: events/s ${perRound(of[n], (x) => x.rate)}; ` +
          `CPU µs/event ${perRound(of[n], (x) => x.cpuUsPerEvent, 1)}\n`,
      );
    }
    const row = (rowName: string, unit: string, s: Name, b: Name, f: (d: Drain) => number): Figure => ({
      name: rowName,
      unit,
      subject: median(of[s].map(f)),
      baseline: median(of[b].map(f)),
      ratio: pairedRatio(of[s], of[b], f),
      bar: {},
    });
    const rate = (d: Drain) => d.rate;
    const cpu = (d: Drain) => d.cpuUsPerEvent;
    const withId = `${name}, each writing x-sluice-event-id`;
    const own = "streams: Kafka pipe, sluice vs bare kafkajs (same run)";
    const ownPlatformatic = "streams: Kafka pipe, sluice on client: platformatic vs bare kafkajs (same run)";
    const clients = "streams: Kafka pipe, sluice on client: platformatic vs sluice on kafkajs (same run)";
    const header = (client: string) =>
      `streams: Kafka pipe, bare ${client} with x-sluice-event-id vs without: CPU per event`;
    const [{ subject, baseline, ratio }, ...more] = [
      row(name, "events/s", "platformatic", "kafkajs", rate),
      row(`${name}: CPU per event`, "µs", "platformatic", "kafkajs", cpu),
      row(withId, "events/s", "platformaticId", "kafkajsId", rate),
      row(`${withId}: CPU per event`, "µs", "platformaticId", "kafkajsId", cpu),
      row(header("kafkajs"), "µs", "kafkajsId", "kafkajs", cpu),
      row(header("@platformatic/kafka"), "µs", "platformaticId", "platformatic", cpu),
      row(own, "events/s", "sluice", "kafkajs", rate),
      row(`${own}: CPU per event`, "µs", "sluice", "kafkajs", cpu),
      row(ownPlatformatic, "events/s", "sluicePlatformatic", "kafkajs", rate),
      row(`${ownPlatformatic}: CPU per event`, "µs", "sluicePlatformatic", "kafkajs", cpu),
      row(clients, "events/s", "sluicePlatformatic", "sluice", rate),
      row(`${clients}: CPU per event`, "µs", "sluicePlatformatic", "sluice", cpu),
    ] as [Figure, ...Figure[]];
    return { subject, baseline, ratio, more };
  } finally {
    await bed.close();
  }
}

export const kafkaClientScenarios: Scenario[] = [{ name, unit: "events/s", bar: {}, run }];
