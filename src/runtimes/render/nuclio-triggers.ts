import type { CronTrigger } from "../../graph/index.js";
import type { NuclioTrigger } from "../types.js";
import type { FunctionGroup } from "./plan.js";

/** A Nuclio trigger as the NuclioFunction's `spec.triggers` holds it. */
export type RenderedTrigger = Record<string, unknown> & { kind: string; name: string };

/**
 * The triggers of a step function, keyed by name as Nuclio wants them (key = `name`):
 * `http` (the gateway calls every function), a `kafka-cluster` or `nats` trigger per queue
 * whose segment starts in it, and `cron` for the graph's cron triggers. `numWorkers` is
 * always set (Nuclio's `maxWorkers` is deprecated, and a Kafka trigger otherwise gets one).
 * `given` are triggers a serving function's spec declares: they add to these, and an `http`
 * one's settings (numWorkers, attributes) apply to the rendered http trigger.
 */
export function groupTriggers(
  group: Pick<FunctionGroup, "queues" | "crons" | "concurrency">,
  given: Record<string, NuclioTrigger> = {},
): Record<string, RenderedTrigger> {
  const triggers: Record<string, RenderedTrigger> = {};
  const givenHttp = Object.entries(given).find(([, t]) => t.kind === "http");
  triggers.http = {
    kind: "http",
    name: "http",
    numWorkers: givenHttp?.[1].numWorkers ?? givenHttp?.[1].maxWorkers ?? group.concurrency ?? 1,
    ...(givenHttp?.[1].attributes ? { attributes: givenHttp[1].attributes } : {}),
  };
  for (const queue of group.queues) {
    const name = triggerName(`${queue.target.kind}-${queue.step}`);
    if (queue.target.kind === "kafka") {
      triggers[name] = {
        kind: "kafka-cluster",
        name,
        numWorkers: 1,
        attributes: {
          brokers: queue.target.brokers,
          topics: [queue.target.topic],
          consumerGroup: queue.group,
          // The topic is sluice's own queue: a new consumer group starts at its beginning.
          initialOffset: "earliest",
          workerAllocationMode: "pool",
        },
      };
    } else {
      triggers[name] = {
        kind: "nats",
        name,
        numWorkers: 1,
        url: queue.target.url,
        attributes: { topic: queue.target.subject, queueName: queue.group },
      };
    }
  }
  group.crons.forEach((cron, i) => {
    const name = i === 0 ? "cron" : `cron-${i + 1}`;
    triggers[name] = cronTrigger(cron, name);
  });
  for (const [key, trigger] of Object.entries(given)) {
    if (trigger.kind === "http") continue;
    triggers[key] = { numWorkers: 1, ...trigger, name: key } as RenderedTrigger;
    delete triggers[key].maxWorkers;
  }
  return triggers;
}

/** Trigger names become Kubernetes-ish keys: lowercase letters, digits and '-'. */
function triggerName(raw: string): string {
  return raw.toLowerCase().replace(/[^a-z0-9-]/g, "-");
}

function cronTrigger(cron: CronTrigger, name: string): RenderedTrigger {
  const attributes: Record<string, unknown> = cron.schedule
    ? { schedule: cron.schedule }
    : { interval: cron.interval };
  if (cron.event) {
    const body = cron.event.body;
    const json = body !== undefined && typeof body !== "string";
    // Nuclio's cron event body is a string: anything else goes as JSON, and says so.
    const headers = { ...(json ? { "Content-Type": "application/json" } : {}), ...cron.event.headers };
    attributes.event = {
      ...(body === undefined ? {} : { body: json ? JSON.stringify(body) : body }),
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
    };
  }
  return { kind: "cron", name, numWorkers: 1, attributes };
}
