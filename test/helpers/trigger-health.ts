import { ConfigResourceTypes } from "kafkajs";
import { kafkaClient } from "./brokers.js";

/** A trigger as `GET /api/graphs` lists it. */
export interface ListedTrigger {
  name: string;
  kind: string;
  condition: string;
  reason?: string;
  since: string;
}

/** The status `GET /v2/health/ready` answers. */
export async function readiness(url: string): Promise<number> {
  return (await fetch(`${url}/v2/health/ready`)).status;
}

/** The triggers of one graph as the admin plane shows them. */
export async function listedTriggers(adminUrl: string, graph: string): Promise<ListedTrigger[]> {
  const graphs = (await (await fetch(`${adminUrl}/api/graphs`)).json()) as {
    name: string;
    triggers: ListedTrigger[];
  }[];
  return graphs.find((g) => g.name === graph)?.triggers ?? [];
}

/** The value of one line of the admin plane's Prometheus text, or undefined when it has none. */
export async function metricValue(adminUrl: string, prefix: string): Promise<number | undefined> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

/** Sets topic configs (e.g. `max.message.bytes`, `cleanup.policy`) on the test bed's broker. */
export async function alterTopic(topic: string, configs: Record<string, string>): Promise<void> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topic,
          configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })),
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
}
