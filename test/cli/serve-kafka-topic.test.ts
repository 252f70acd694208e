import { describe, expect, it } from "vitest";
import { uniqueName } from "../helpers/brokers.js";
import { kafkaGraphFile } from "../helpers/kafka-streams.js";
import { serveProcess } from "../helpers/serve-process.js";

describe("sluice serve with a Kafka trigger it cannot start", () => {
  it("makes sluice serve exit with one clear line, not hang, when a Kafka trigger's topic is not one Kafka takes", async () => {
    const graph = await kafkaGraphFile(`apiVersion: sluice/v1
kind: Graph
metadata: {name: unstartable}
spec:
  steps:
    a: {handler: ./kafka-steps.mjs#markA}
  triggers:
    - kind: kafka
      brokers: [127.0.0.1:9]
      topics: ["not a valid topic!"]
      group: ${uniqueName("group")}
`);
    // Caught when the graph loads, where it is written, before any broker is asked (there is none).
    await expect(serveProcess([graph], { SLUICE_LOG_LEVEL: "fatal" })).rejects.toThrow(
      /exited \(1\) before serving:\n.*graph\.yaml:10: \/spec\/triggers\/0\/topics\/0: must be a Kafka topic name/,
    );
  });
});
