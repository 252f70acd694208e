import { Partitioners, type PartitionMetadata } from "kafkajs";
import { describe, expect, it } from "vitest";

/**
 * sluice's producers (outputs, dead letters, queue steps) name kafkajs's DefaultPartitioner, as
 * kafkajs v2 uses by default: keys must land where Kafka's Java client puts them, so consumers
 * in other languages see one key in one partition. kafka-trigger.test.ts checks that outputs go
 * where the default put their inputs; this pins the default to Java's murmur2.
 */
describe("the partitioner of sluice's Kafka producers", () => {
  // Kafka's own murmur2 vectors (clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java).
  const javaMurmur2: [string, number][] = [
    ["21", -973932308],
    ["foobar", -790332482],
    ["a-little-bit-long-string", -985981536],
    ["a-little-bit-longer-string", -1486304829],
    ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
    ["abc", 479470107],
  ];

  it("puts a key where Kafka's Java client does: toPositive(murmur2(key)) % partitions", () => {
    const partitioner = Partitioners.DefaultPartitioner();
    for (const partitions of [6, 1000]) {
      const partitionMetadata = Array.from(
        { length: partitions },
        (_, partitionId): PartitionMetadata => ({
          partitionId,
          leader: 0,
          partitionErrorCode: 0,
          replicas: [0],
          isr: [0],
        }),
      );
      for (const [key, hash] of javaMurmur2) {
        const partition = partitioner({ topic: "t", partitionMetadata, message: { key, value: null } });
        expect(partition).toBe((hash & 0x7fffffff) % partitions);
      }
    }
  });
});
