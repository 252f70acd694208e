import { describe, expect, it } from "vitest";
import { sluice } from "../helpers/cli.js";

describe("a start that never settles is bounded by --start-timeout", () => {
  it("serve names the step whose init() never settled", async () => {
    const result = await sluice(
      "serve",
      "--port",
      "0",
      "--admin-port",
      "0",
      "--start-timeout",
      "1s",
      "test/fixtures/gateway/never-starts.yaml",
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'graph "n" did not start within 1000 ms (--start-timeout): still waiting on step "a" init()',
    );
  });

  it("serve names the model whose load() never settled", async () => {
    const result = await sluice(
      "serve",
      "--port",
      "0",
      "--admin-port",
      "0",
      "--start-timeout",
      "1s",
      "test/fixtures/gateway/never-loads.yaml",
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('still waiting on the load() of model "stuck"');
  });

  it("validate and serve say so for a module whose top-level await never settles", async () => {
    for (const command of ["validate", "serve"]) {
      const args = command === "serve" ? ["--port", "0", "--admin-port", "0"] : [];
      const result = await sluice(
        command,
        ...args,
        "--start-timeout",
        "1s",
        "test/fixtures/hang/top-level-await.yaml",
      );
      expect({ command, code: result.code }).toEqual({ command, code: 1 });
      expect(result.stderr).toContain(
        "graph file test/fixtures/hang/top-level-await.yaml did not start within 1000 ms",
      );
    }
  });
});

describe("a graph posted over the admin API that never starts", () => {
  it("is answered 400 naming what it waited on, within --start-timeout", async () => {
    const { serveProcess } = await import("../helpers/serve-process.js");
    const server = await serveProcess(["--start-timeout", "1s", "test/fixtures/gateway/flow.yaml"]);
    const document = `apiVersion: sluice/v1\nkind: Graph\nmetadata: {name: stuck}\nspec:\n  steps:\n    a: {class: test/fixtures/gateway/hostile.mjs#NeverStarts}\n`;
    const reply = await fetch(`${server.adminUrl}/api/graphs`, {
      method: "POST",
      headers: { "content-type": "application/yaml" },
      body: document,
    });
    expect(reply.status).toBe(400);
    expect(((await reply.json()) as { error: string }).error).toContain('still waiting on step "a" init()');
  });
});
