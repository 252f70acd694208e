/**
 * Stream processing (issue 7, "Performance"): consume → a 3-step graph of trivial sync steps
 * → produce, in sluice (its trigger in an in-process gateway) against a bare client pipe with
 * the same commit or ack policy, on a broker of the bench's own, 256-byte JSON events.
 *
 * - events/s: each side drains the same pre-filled input (a fresh group or durable each
 *   time); the clock runs from the moment the pipe is consuming until the output holds every
 *   event (Kafka end offsets, JetStream stream state). Rounds alternate; medians and ratio.
 *   CPU per event comes from the same drains (steadier than events/s on a shared machine).
 * - latency: a separate steady-rate run per side and round (a drain measures queueing, not
 *   latency): events stamped with their produce time `at`, latency = the time the broker
 *   stored the output (Kafka LogAppendTime, JetStream's stored time) − `at`, over every output
 *   after the first second; p50 and p99 of each round, the median round's reported.
 *
 * The bare Kafka pipe writes no headers; sluice writes `x-sluice-event-id` on every output
 * (issue 7 asks for it), which costs kafkajs about 2.5-4 µs an event: part of sluice's cost.
 * That is kafkajs's per-header encoder (a fresh zero-filled 512-byte buffer, varints as arrays);
 * a Buffer value costs as much as a string one.
 */
import { median } from "../lib/measure.js";
import type { Figure, Measured, Scenario } from "../lib/scenario.js";
import {
  alternate,
  type Drain,
  drainRate,
  latencySample,
  quantile,
  type Side,
  steadyRate,
  waitForCount,
} from "../lib/streams-common.js";
import { bareKafkaPipe, KafkaBed, sluiceKafkaPipe } from "../lib/streams-kafka.js";
import { bareJetStreamPipe, type JetStreamRoute, NatsBed, sluiceJetStreamPipe } from "../lib/streams-nats.js";

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const rounds = env("SLUICE_BENCH_STREAM_ROUNDS", 3);

/** One broker's contest: a drain of the pre-filled input and a steady run, for either side. */
interface Contest {
  drain(side: Side): Promise<Drain>;
  /** Latencies (ms) of one steady run, warm-up left out. */
  steady(side: Side): Promise<number[]>;
}

interface Steady {
  rate: number;
  seconds: number;
}

const row = (name: string, unit: string, subject: number, baseline: number): Figure => ({
  name,
  unit,
  subject,
  baseline,
  ratio: subject / baseline,
  bar: {},
});

/**
 * Events/s as the headline; CPU per event (this process's, where both pipes run) from the
 * same drains, and p50/p99 latency from the steady runs, as more rows.
 */
async function contest(name: string, c: Contest, steady: Steady): Promise<Measured & { more: Figure[] }> {
  const drains = await alternate(rounds, (side) => c.drain(side));
  const rate = (side: Side) => drains[side].map((d) => d.rate);
  const cpu = (side: Side) => drains[side].map((d) => d.cpuUsPerEvent);
  const show = (xs: number[]) => xs.map((x) => Math.round(x)).join(", ");
  process.stderr.write(`  events/s: sluice ${show(rate("sluice"))}; bare ${show(rate("bare"))}\n`);
  process.stderr.write(`  CPU µs/event: sluice ${show(cpu("sluice"))}; bare ${show(cpu("bare"))}\n`);
  const latencies = await alternate(rounds, (side) => c.steady(side));
  for (const side of ["sluice", "bare"] as const) {
    const each = latencies[side].map((l) => `${quantile(l, 0.5).toFixed(1)}/${quantile(l, 0.99).toFixed(1)}`);
    process.stderr.write(`  p50/p99 ms, ${side}: ${each.join(", ")}\n`);
  }
  const subject = median(rate("sluice"));
  const baseline = median(rate("bare"));
  const at = `at a steady ${steady.rate.toLocaleString("en-US")} events/s`;
  // The median round's quantile: one round hit by a neighbour's burst does not make the p99.
  const perRound = (side: Side, q: number) => median(latencies[side].map((l) => quantile(l, q)));
  return {
    subject,
    baseline,
    ratio: subject / baseline,
    more: [
      row(`${name}: CPU per event`, "µs", median(cpu("sluice")), median(cpu("bare"))),
      row(`${name}: end-to-end p50 ${at}`, "ms", perRound("sluice", 0.5), perRound("bare", 0.5)),
      row(`${name}: end-to-end p99 ${at}`, "ms", perRound("sluice", 0.99), perRound("bare", 0.99)),
    ],
  };
}

const kafkaEvents = env("SLUICE_BENCH_KAFKA_EVENTS", 200_000);
const kafkaSteady: Steady = { rate: env("SLUICE_BENCH_KAFKA_STEADY_RATE", 2_000), seconds: 6 };

async function kafkaContest(): Promise<Measured & { more: Figure[] }> {
  const bed = await KafkaBed.start();
  try {
    const pipe = { sluice: sluiceKafkaPipe, bare: bareKafkaPipe };
    const drainOf = async (side: Side, input: string, n: number) => {
      const output = await bed.topic("out", 6);
      return drainRate(
        () => pipe[side](bed, input, output, `${side}-${output}`),
        () => bed.count(output),
        n,
      );
    };
    const input = await bed.topic("in", 6);
    await bed.fill(input, kafkaEvents);
    // Warm-up, not counted: the JIT, and the broker's first groups and topics.
    const warm = await bed.topic("warm", 6);
    await bed.fill(warm, 20_000);
    for (const side of ["sluice", "bare"] as const) await drainOf(side, warm, 20_000);
    return await contest(
      "streams: Kafka",
      {
        drain: (side) => drainOf(side, input, kafkaEvents),
        async steady(side) {
          const [steadyIn, steadyOut] = [
            await bed.topic("steady-in", 6),
            await bed.topic("steady-out", 6, true),
          ];
          const running = await pipe[side](bed, steadyIn, steadyOut, `${side}-${steadyOut}`);
          let sent = 0;
          try {
            sent = await steadyRate(
              (events) => bed.send(steadyIn, events),
              kafkaSteady.rate,
              kafkaSteady.seconds,
            );
            await waitForCount(() => bed.count(steadyOut), sent);
          } finally {
            await running.stop();
          }
          const outputs = await bed.latencies(steadyOut, sent);
          return latencySample(outputs, kafkaSteady.rate);
        },
      },
      kafkaSteady,
    );
  } finally {
    await bed.close();
  }
}

const jetstreamEvents = env("SLUICE_BENCH_JETSTREAM_EVENTS", 20_000);
const jetstreamSteady: Steady = { rate: env("SLUICE_BENCH_JETSTREAM_STEADY_RATE", 500), seconds: 6 };

async function jetstreamContest(): Promise<Measured & { more: Figure[] }> {
  const bed = await NatsBed.start();
  try {
    const pipe = { sluice: sluiceJetStreamPipe, bare: bareJetStreamPipe };
    const drainOf = async (side: Side, input: { stream: string; subject: string }, n: number) => {
      const out = await bed.stream("out");
      const route: JetStreamRoute = { ...input, durable: bed.name(side), output: out.subject };
      const drain = await drainRate(
        () => pipe[side](bed, route),
        () => bed.count(out.stream),
        n,
      );
      await bed.deleteDurable(input.stream, route.durable);
      await bed.deleteStream(out.stream);
      return drain;
    };
    const input = await bed.stream("in");
    await bed.fill(input.subject, jetstreamEvents);
    const warm = await bed.stream("warm");
    await bed.fill(warm.subject, 5_000);
    for (const side of ["sluice", "bare"] as const) await drainOf(side, warm, 5_000);
    await bed.deleteStream(warm.stream);
    return await contest(
      "streams: JetStream",
      {
        drain: (side) => drainOf(side, input, jetstreamEvents),
        async steady(side) {
          const [steadyIn, steadyOut] = [await bed.stream("steady_in"), await bed.stream("steady_out")];
          const route: JetStreamRoute = { ...steadyIn, durable: bed.name(side), output: steadyOut.subject };
          const running = await pipe[side](bed, route);
          let sent = 0;
          try {
            const { rate, seconds } = jetstreamSteady;
            sent = await steadyRate((events) => bed.send(steadyIn.subject, events), rate, seconds);
            await waitForCount(() => bed.count(steadyOut.stream), sent);
          } finally {
            await running.stop();
          }
          const outputs = await bed.latencies(steadyOut.stream, sent);
          await Promise.all([bed.deleteStream(steadyIn.stream), bed.deleteStream(steadyOut.stream)]);
          return latencySample(outputs, jetstreamSteady.rate);
        },
      },
      jetstreamSteady,
    );
  } finally {
    await bed.close();
  }
}

export const streamScenarios: Scenario[] = [
  {
    name: "streams: Kafka consume → 3 sync steps → produce, vs bare kafkajs",
    unit: "events/s",
    bar: { ratioAtLeast: 0.7 },
    run: kafkaContest,
  },
  {
    name: "streams: JetStream pull → 3 sync steps → publish, vs bare nats.js",
    unit: "events/s",
    bar: { ratioAtLeast: 0.7 },
    run: jetstreamContest,
  },
];
