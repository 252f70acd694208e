/**
 * Issue 19: kafkajs has had no release since 2023; is @platformatic/kafka (maintained, pure JS)
 * faster on the stream bench's pipe? The three pipes drain the same pre-filled topic in one
 * run, on the bench's own broker, in rotation: sluice's Kafka trigger (kafkajs underneath), the
 * bare kafkajs pipe and the bare @platformatic/kafka pipe, each with the same work and commit
 * discipline (bench/lib/streams-kafka.ts, streams-platformatic.ts). Events/s and this
 * process's CPU per event of each drain; ratios paired by round.
 */
import { median } from "../lib/measure.js";
import { whenQuiet } from "../lib/quiet.js";
import { inRotation, pairedRatio, perRound } from "../lib/rounds.js";
import type { Figure, Measured, Scenario } from "../lib/scenario.js";
import { type Drain, drainRate, type Pipe } from "../lib/streams-common.js";
import { bareKafkaPipe, KafkaBed, sluiceKafkaPipe } from "../lib/streams-kafka.js";
import { platformaticKafkaPipe } from "../lib/streams-platformatic.js";

type Start = (bed: KafkaBed, input: string, output: string, group: string) => Promise<Pipe>;

const pipes: { label: string; start: Start }[] = [
  { label: "sluice (kafkajs 2.2.4)", start: sluiceKafkaPipe },
  { label: "bare kafkajs 2.2.4", start: bareKafkaPipe },
  { label: "bare @platformatic/kafka 1.35.0", start: platformaticKafkaPipe },
];

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
      const pipe = pipes[i] as (typeof pipes)[number];
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
    for (let i = 0; i < pipes.length; i++) await drainOf(i, warm, 20_000);
    const measured = await inRotation(pipes.length, rounds, async (i, r) => {
      await whenQuiet();
      process.stderr.write(`  round ${r + 1}/${rounds}: ${pipes[i]?.label}\n`);
      return drainOf(i, input, events);
    });
    pipes.forEach((p, i) => {
      const d = measured[i] as Drain[];
      process.stderr.write(
        `  ${p.label}: events/s ${perRound(d, (x) => x.rate)}; CPU µs/event ${perRound(d, (x) => x.cpuUsPerEvent, 1)}\n`,
      );
    });
    const [sluice, kafkajs, platformatic] = measured as [Drain[], Drain[], Drain[]];
    const row = (rowName: string, unit: string, s: Drain[], b: Drain[], f: (d: Drain) => number): Figure => ({
      name: rowName,
      unit,
      subject: median(s.map(f)),
      baseline: median(b.map(f)),
      ratio: pairedRatio(s, b, f),
      bar: {},
    });
    const rate = (d: Drain) => d.rate;
    const cpu = (d: Drain) => d.cpuUsPerEvent;
    const [{ subject, baseline, ratio }, ...more] = [
      row(name, "events/s", platformatic, kafkajs, rate),
      row(`${name}: CPU per event`, "µs", platformatic, kafkajs, cpu),
      row("streams: Kafka pipe, sluice vs bare kafkajs (same run)", "events/s", sluice, kafkajs, rate),
      row(
        "streams: Kafka pipe, sluice vs bare kafkajs (same run): CPU per event",
        "µs",
        sluice,
        kafkajs,
        cpu,
      ),
      row(
        "streams: Kafka pipe, sluice vs bare @platformatic/kafka (same run)",
        "events/s",
        sluice,
        platformatic,
        rate,
      ),
    ] as [Figure, ...Figure[]];
    return { subject, baseline, ratio, more };
  } finally {
    await bed.close();
  }
}

export const kafkaClientScenarios: Scenario[] = [{ name, unit: "events/s", bar: {}, run }];
