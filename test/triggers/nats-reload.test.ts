import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { natsConnection, natsUrl, uniqueName } from "../helpers/brokers.js";
import { testGateway } from "../helpers/gateway.js";
import { natsGraphFile } from "../helpers/nats-streams.js";
import { triggerFixtures } from "../helpers/streams.js";

/** A graph named `reloadable` answering NATS requests on `subject`, stamped with `by`. */
function reloadable(subject: string, by: string, url = natsUrl()): string {
  return `apiVersion: sluice/v1
kind: Graph
metadata: {name: reloadable}
spec:
  steps:
    stamp: {class: ${join(triggerFixtures, "nats-steps.mjs")}#Stamp, args: {by: ${by}}}
  triggers:
    - {kind: nats, url: "${url}", subject: ${subject}, queue: ${uniqueName("group")}}
`;
}

async function postGraph(adminUrl: string, yaml: string) {
  const response = await fetch(`${adminUrl}/api/graphs`, {
    method: "POST",
    headers: { "content-type": "application/yaml" },
    body: yaml,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("a hot reload of a graph with triggers", () => {
  it("keeps the running triggers when they are unchanged, and new events reach the new version", async () => {
    const subject = uniqueName("in");
    const gw = await testGateway([await natsGraphFile(reloadable(subject, "v1"))]);
    const nc = await natsConnection();
    const ask = async (s: string) =>
      (await nc.request(s, JSON.stringify({ i: 1 }), { timeout: 5_000 })).json();
    expect(await ask(subject)).toEqual({ i: 1, by: "v1" });
    const [running] = gw.streams.triggers;

    // Only the step changes: the trigger keeps its subject and its queue group.
    const sameTrigger = reloadable(subject, "v2").replace(/queue: \S+}/, `queue: ${queueOf(gw)}}`);
    expect(await postGraph(gw.adminUrl, sameTrigger)).toEqual({
      status: 200,
      body: { name: "reloadable", replaced: true },
    });

    expect(gw.streams.triggers).toEqual([running]);
    expect(await ask(subject)).toEqual({ i: 1, by: "v2" });
  });

  it("moves the triggers to the new settings: the new subject is served, the old one no longer", async () => {
    const [first, second] = [uniqueName("in"), uniqueName("in")];
    const gw = await testGateway([await natsGraphFile(reloadable(first, "v1"))]);
    const nc = await natsConnection();

    expect((await postGraph(gw.adminUrl, reloadable(second, "v2"))).status).toBe(200);

    const answer = await nc.request(second, JSON.stringify({ i: 2 }), { timeout: 5_000 });
    expect(answer.json()).toEqual({ i: 2, by: "v2" });
    const old = await nc.request(first, JSON.stringify({ i: 3 }), { timeout: 1_000 }).catch((e: Error) => e);
    expect(old).toBeInstanceOf(Error);
    expect(gw.streams.triggers.map((t) => t.name)).toEqual([`nats:${second}`]);
  });

  it("refuses a reload whose trigger cannot start, and the old version and its trigger go on serving", async () => {
    const subject = uniqueName("in");
    const gw = await testGateway([await natsGraphFile(reloadable(subject, "v1"))]);
    const nc = await natsConnection();

    // Nothing listens on port 1: the new trigger cannot connect.
    const refused = await postGraph(gw.adminUrl, reloadable(uniqueName("in"), "v2", "nats://127.0.0.1:1"));

    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.body.error).toMatch(/graph "reloadable": a trigger did not start: .*127\.0\.0\.1:1/);
    const answer = await nc.request(subject, JSON.stringify({ i: 4 }), { timeout: 5_000 });
    expect(answer.json()).toEqual({ i: 4, by: "v1" });
    expect(gw.streams.triggers.map((t) => t.name)).toEqual([`nats:${subject}`]);
  });
});

/** The queue group of the gateway's one graph's first trigger. */
function queueOf(gw: Awaited<ReturnType<typeof testGateway>>): string {
  const [trigger] = gw.registry.get("reloadable")?.document.spec.triggers ?? [];
  return (trigger as { queue: string }).queue;
}
