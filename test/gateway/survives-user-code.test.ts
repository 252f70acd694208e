import { describe, expect, it, vi } from "vitest";
import { getJson, postJson, testGateway } from "../helpers/gateway.js";
import { serveProcess } from "../helpers/serve-process.js";

describe("the gateway survives user code", () => {
  it("answers 500 when a model's metadata() returns what JSON cannot hold or throws, and keeps serving", async () => {
    const gw = await testGateway(["hostile.yaml", "models.yaml"]);
    for (const model of ["bigint", "throwing"]) {
      const { status, body } = await getJson(`${gw.url}/v2/models/${model}`);
      expect({ model, status }).toEqual({ model, status: 500 });
      expect((body as { error: string }).error).toContain(`model "${model}"`);
    }
    expect((await getJson(`${gw.url}/v2/models/double`)).status).toBe(200);
  });

  it("keeps serving when a step throws from a timer or leaves a rejection unhandled, and counts both", async () => {
    const server = await serveProcess(["test/fixtures/gateway/hostile-steps.yaml"]);
    for (let i = 0; i < 3; i++) expect((await postJson(`${server.url}/`, {})).status).toBe(200);
    // Each request left a throw in a timer and an unhandled rejection: wait until all 6 are counted.
    const uncaught = async () =>
      Number(
        /^sluice_uncaught_errors_total (\d+)/m.exec(
          await (await fetch(`${server.adminUrl}/metrics`)).text(),
        )?.[1],
      );
    await vi.waitFor(async () => expect(await uncaught()).toBeGreaterThanOrEqual(6), { timeout: 10_000 });
    expect(server.child.exitCode).toBeNull();
    expect((await postJson(`${server.url}/`, {})).status).toBe(200);
    const lines = server
      .stderr()
      .split("\n")
      .filter((line) => line.includes("uncaught error in user code"));
    expect(lines.some((line) => line.includes("thrown from a timer"))).toBe(true);
    expect(lines.some((line) => line.includes("nobody handles this rejection"))).toBe(true);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it("exits on such an error with --crash-on-error, after its log line", async () => {
    const server = await serveProcess(["--crash-on-error", "test/fixtures/gateway/hostile-steps.yaml"]);
    await postJson(`${server.url}/`, {}).catch(() => undefined);
    expect(await server.exited).toBe(3);
    expect(server.stderr()).toContain("--crash-on-error");
  });
});
