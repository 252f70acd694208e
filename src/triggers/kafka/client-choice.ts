import { SluiceError } from "../../errors.js";
import type { KafkaTrigger as KafkaTriggerSpec } from "../../graph/index.js";
import type { Trigger, TriggerContext } from "../contract.js";

/** The Kafka clients a `kind: kafka` trigger may run on (`client:`), the first the default. */
export const kafkaClients = ["kafkajs", "platformatic"] as const;
export type KafkaClientName = (typeof kafkaClients)[number];

/**
 * The Node releases @platformatic/kafka 1.x runs on, by major (its `engines`: 20.19.4, 22.18.0,
 * 24.6.0 or later in each line); majors not listed are taken as fine.
 */
const platformaticNode: Record<number, [number, number]> = { 20: [19, 4], 22: [18, 0], 24: [6, 0] };

/** Why this Node cannot run `client: platformatic`, or undefined when it can. */
export function platformaticNodeProblem(version: string): string | undefined {
  const [major = 0, minor = 0, patch = 0] = version.split(".").map(Number);
  const floor = platformaticNode[major];
  const tooOld =
    major < 20 || (floor !== undefined && (minor < floor[0] || (minor === floor[0] && patch < floor[1])));
  if (!tooOld) return undefined;
  return `client: platformatic needs Node 20.19.4 or later (22.18.0 on Node 22, 24.6.0 on Node 24); this is Node ${version}: use client: kafkajs or a newer Node`;
}

/**
 * The trigger for a `kind: kafka` spec on the client it names. Each client is imported only
 * when chosen, so a graph on kafkajs (the default) never loads @platformatic/kafka, nor needs
 * the Node it needs.
 */
export async function kafkaTriggerOf(
  spec: KafkaTriggerSpec,
  context: TriggerContext,
  nodeVersion = process.versions.node,
): Promise<Trigger> {
  if (spec.client === "platformatic") {
    const problem = platformaticNodeProblem(nodeVersion);
    if (problem) {
      throw new SluiceError("SLUICE_ERR_GRAPH_INVALID", `trigger kafka:${spec.topics.join(",")}: ${problem}`);
    }
    const { PlatformaticKafkaTrigger } = await import("./platformatic-trigger.js");
    return new PlatformaticKafkaTrigger(spec, context);
  }
  const { KafkaTrigger } = await import("./trigger.js");
  return new KafkaTrigger(spec, context);
}
