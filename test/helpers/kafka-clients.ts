import { kafkaClients } from "../../src/triggers/index.js";

/**
 * The Kafka clients a trigger runs on: the at-least-once tests run on each
 * (`describe.each(kafkaClientNames)`), one shared suite both must pass.
 */
export const kafkaClientNames = kafkaClients;

/** The graph document's `client:` line of a Kafka trigger (6 spaces in, as the tests' YAML). */
export function clientLine(client: string): string {
  return `      client: ${client}`;
}
