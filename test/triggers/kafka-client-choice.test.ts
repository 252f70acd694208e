import { afterEach, describe, expect, it, vi } from "vitest";
import type { KafkaTrigger as KafkaSpec } from "../../src/graph/index.js";
import { kafkaTriggerOf, platformaticNodeProblem } from "../../src/triggers/kafka/client-choice.js";
import { OffsetCommits, type PendingOffset } from "../../src/triggers/kafka/partition-lanes.js";
import { PlatformaticKafkaTrigger } from "../../src/triggers/kafka/platformatic-trigger.js";
import { KafkaTrigger } from "../../src/triggers/kafka/trigger.js";
import { memoryLogger, problemsOf } from "../helpers/graphs.js";

// Which client a Kafka trigger runs on, and the commit policy of the client that commits by
// hand (@platformatic/kafka): no broker needed. The at-least-once tests against the real broker
// run on both clients (kafka-trigger, kafka-dlq-write, kafka-sigterm, kafka-crash...).

const spec = (more: Partial<KafkaSpec> = {}): KafkaSpec => ({
  kind: "kafka",
  brokers: ["127.0.0.1:9"],
  topics: ["tx"],
  group: "g",
  ...more,
});
const context = { graph: "g", logger: memoryLogger() };

describe("a Kafka trigger's client", () => {
  it("is refused when the graph loads if it is neither kafkajs nor platformatic, in one problem at the trigger's field", async () => {
    const problems = await problemsOf(`apiVersion: sluice/v1
kind: Graph
metadata: {name: test}
spec:
  steps:
    a: {handler: ./steps.mjs#echo}
  triggers:
    - {kind: kafka, brokers: [k:9092], topics: [tx], group: g, client: rdkafka}
`);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.pointer).toBe("/spec/triggers/0/client");
    expect(problems[0]?.message).toMatch(/kafkajs, platformatic/);
    expect(problems[0]?.message).toMatch(/rdkafka/);
  });

  it("is kafkajs unless platformatic is chosen", async () => {
    expect(await kafkaTriggerOf(spec(), context)).toBeInstanceOf(KafkaTrigger);
    expect(await kafkaTriggerOf(spec({ client: "kafkajs" }), context)).toBeInstanceOf(KafkaTrigger);
    const chosen = await kafkaTriggerOf(spec({ client: "platformatic" }), context, "20.19.4");
    expect(chosen).toBeInstanceOf(PlatformaticKafkaTrigger);
    expect(chosen).toMatchObject({ kind: "kafka", name: "kafka:tx", state: "created" });
  });

  it("platformatic on a Node older than @platformatic/kafka runs on is one error naming the trigger and the Node it needs", async () => {
    await expect(
      kafkaTriggerOf(spec({ client: "platformatic", topics: ["tx", "audit"] }), context, "20.18.1"),
    ).rejects.toMatchObject({
      code: "SLUICE_ERR_GRAPH_INVALID",
      message:
        "trigger kafka:tx,audit: client: platformatic needs Node 20.19.4 or later (22.18.0 on Node 22, 24.6.0 on Node 24); this is Node 20.18.1: use client: kafkajs or a newer Node",
    });
    // kafkajs is unaffected by the Node it runs on.
    expect(await kafkaTriggerOf(spec(), context, "20.18.1")).toBeInstanceOf(KafkaTrigger);
  });

  it("platformatic runs on 20.19.4, 22.18.0 and 24.6.0 or later in each line", () => {
    for (const old of ["18.20.0", "20.18.1", "20.19.3", "22.17.1", "24.5.0"])
      expect(platformaticNodeProblem(old), old).toMatch(`this is Node ${old}`);
    for (const fine of ["20.19.4", "20.20.2", "21.7.3", "22.18.0", "23.0.0", "24.6.0", "25.1.0"])
      expect(platformaticNodeProblem(fine), fine).toBeUndefined();
  });

  it("platformatic refuses topic /patterns/, which its consumer cannot subscribe to", () => {
    expect(
      () => new PlatformaticKafkaTrigger(spec({ client: "platformatic", topics: ["/tx-.*/"] }), context),
    ).toThrow(
      "trigger kafka:/tx-.*/: client: platformatic takes topic names, not /patterns/ (client: kafkajs does)",
    );
  });
});

describe("the commit policy of a client that commits by hand", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const source = (partition: number) => ({
    topic: "tx",
    partition,
    idPrefix: `tx/${partition}/`,
    path: "/tx",
  });

  /** Commits recorded; `failOnce` runs inside the first commit, which then fails. */
  function commitsWith(everyEvents: number, everyMs: number, failOnce?: () => void) {
    const committed: PendingOffset[][] = [];
    const commits: OffsetCommits = new OffsetCommits(
      everyEvents,
      everyMs,
      async (offsets) => {
        if (failOnce) {
          const during = failOnce;
          failOnce = undefined;
          during();
          throw new Error("rebalancing");
        }
        committed.push(offsets);
      },
      memoryLogger(),
    );
    return { commits, committed };
  }

  it("commits the next offset of each partition once N events were resolved, counting the offsets passed since a partition's last", async () => {
    const { commits, committed } = commitsWith(100, 60_000);
    // A partition's first resolve counts one: where its batch began is not known here.
    commits.resolve(source(0), "49");
    commits.resolve(source(1), "9");
    commits.resolve(source(0), "146");
    await commits.commitIfDue();
    expect(committed).toEqual([]);
    commits.resolve(source(0), "147");
    await commits.commitIfDue();
    expect(committed).toEqual([
      [
        { topic: "tx", partition: 0, offset: 148n },
        { topic: "tx", partition: 1, offset: 10n },
      ],
    ]);
    commits.stop();
  });

  it("commits what was resolved within T ms by the clock, with no event after it", async () => {
    vi.useFakeTimers();
    const { commits, committed } = commitsWith(1_000, 300);
    commits.resolve(source(0), "4");
    await vi.advanceTimersByTimeAsync(299);
    expect(committed).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(committed).toEqual([[{ topic: "tx", partition: 0, offset: 5n }]]);
    commits.stop();
  });

  it("keeps the offsets of a commit that failed for the next one, unless a later offset came meanwhile", async () => {
    vi.useFakeTimers();
    const { commits, committed } = commitsWith(1_000, 300, () => commits.resolve(source(1), "9"));
    commits.resolve(source(0), "4");
    commits.resolve(source(1), "7");
    await commits.commitNow();
    expect(committed).toEqual([]);
    await vi.advanceTimersByTimeAsync(300);
    expect(committed).toEqual([
      [
        { topic: "tx", partition: 1, offset: 10n },
        { topic: "tx", partition: 0, offset: 5n },
      ],
    ]);
    commits.stop();
  });
});
