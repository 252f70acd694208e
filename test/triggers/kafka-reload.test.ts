import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { postJson, testGateway } from "../helpers/gateway.js";
import { graphFile, triggerFixtures } from "../helpers/streams.js";
import { freePort } from "../infra/free-port.js";

function version(trigger = ""): string {
  return `apiVersion: sluice/v1
kind: Graph
metadata: {name: reloaded}
spec:
  steps:
    tag: {handler: ./steps.mjs#tag}
  triggers:
    - kind: http
${trigger}`;
}

describe("a hot reload whose new Kafka trigger cannot reach its broker", () => {
  it("answers 503 with the reason within the start bound, and the old version keeps serving", {
    timeout: 120_000,
  }, async () => {
    const gateway = await testGateway([await graphFile(version())]);
    // Nothing listens on this port: every connection is refused.
    const nowhere = `127.0.0.1:${await freePort()}`;
    const posted = version(
      `    - kind: kafka\n      brokers: ["${nowhere}"]\n      topics: [in]\n      group: g\n`,
    ).replaceAll("./steps.mjs", join(triggerFixtures, "steps.mjs"));
    const response = await fetch(`${gateway.adminUrl}/api/graphs`, {
      method: "POST",
      headers: { "content-type": "application/yaml" },
      body: posted,
    });
    expect(response.status).toBe(503);
    const { error } = (await response.json()) as { error: string };
    expect(error).toMatch(/did not start within 15 s/);
    expect(error).toMatch(/ECONNREFUSED|Connection error/);
    expect((await postJson(`${gateway.url}/`, { i: 1 })).body).toEqual({ i: 1, tagged: true });
  });
});
