import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Consumer } from "kafkajs";
import { onTestFinished } from "vitest";
import { kafkaClient } from "./brokers.js";

export const triggerFixtures = fileURLToPath(new URL("../fixtures/triggers/", import.meta.url));

/** Writes a graph document to a temp file (module paths point at test/fixtures/triggers). */
export async function graphFile(yaml: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "sluice-stream-"));
  const file = join(dir, "graph.yaml");
  await writeFile(file, yaml.replaceAll("./steps.mjs", join(triggerFixtures, "steps.mjs")));
  return file;
}

/** Produces JSON messages (or raw strings) to a topic. */
export async function produce(
  topic: string,
  messages: { key?: string; value: unknown }[],
  batch = 1000,
): Promise<void> {
  const producer = kafkaClient().producer();
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += batch) {
      await sendWithRetry(() =>
        producer.send({
          topic,
          messages: messages.slice(i, i + batch).map((m) => ({
            key: m.key ?? null,
            value: typeof m.value === "string" ? m.value : JSON.stringify(m.value),
          })),
        }),
      );
    }
  } finally {
    await producer.disconnect();
  }
}

export interface Collected {
  key: string | undefined;
  value: string;
  partition: number;
  offset: string;
  headers: Record<string, string>;
}

/** Reads a topic from the beginning until `count` messages arrived (or the timeout passed). */
export async function collect(topic: string, count: number, timeoutMs = 60_000): Promise<Collected[]> {
  const consumer: Consumer = kafkaClient().consumer({
    groupId: `collector-${Math.random().toString(16).slice(2)}`,
  });
  await consumer.connect();
  onTestFinished(() => consumer.disconnect());
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const got: Collected[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`only ${got.length} of ${count} messages on ${topic} after ${timeoutMs} ms`)),
      timeoutMs,
    );
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        got.push({
          key: message.key?.toString(),
          value: message.value?.toString() ?? "",
          partition,
          offset: message.offset,
          headers,
        });
        if (got.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return got;
}

/** A topic just created may not be served by its leader yet; the first sends retry briefly. */
async function sendWithRetry(send: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await send();
      return;
    } catch (error) {
      if (attempt >= 20 || !/does not host this topic-partition|leader/i.test((error as Error).message))
        throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
