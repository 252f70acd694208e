import { mkdtempSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sluice } from "../helpers/cli.js";
import { getJson, postJson, testGateway } from "../helpers/gateway.js";

/**
 * Sends raw bytes on a new connection, `gapMs` apart; resolves once it closed with everything
 * answered and how many of the chunks were sent by then.
 */
function raw(url: string, chunks: string[], gapMs = 0): Promise<{ text: string; sent: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let text = "";
    let i = 0;
    socket.on("data", (d) => {
      text += d.toString();
    });
    socket.on("error", () => {});
    socket.on("close", () => resolve({ text, sent: i }));
    const next = () => {
      if (socket.destroyed || i >= chunks.length) return;
      socket.write(chunks[i++] as string);
      setTimeout(next, gapMs);
    };
    next();
  });
}

describe("caller mistakes get a clear 4xx quoting what was sent", () => {
  it("a bad x-request-timeout is a 400 quoting it, not silently the default", async () => {
    const gw = await testGateway(["flow.yaml"]);
    const { status, body } = await postJson(`${gw.url}/`, { n: 1 }, { "x-request-timeout": "soon" });
    expect(status).toBe(400);
    expect(body).toEqual({ error: 'x-request-timeout: "soon" is not a duration (e.g. 250ms, 2s)' });
  });

  it("Inference-Header-Content-Length takes only decimal digits, and is quoted", async () => {
    const gw = await testGateway(["models.yaml"]);
    const response = await fetch(`${gw.url}/v2/models/double/infer`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream", "inference-header-content-length": "0x10" },
      body: "{}".padEnd(16, " "),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: 'Inference-Header-Content-Length must be a decimal number of bytes, got "0x10"',
    });
  });

  it("every answer carries x-request-id, 2xx and 4xx alike", async () => {
    const gw = await testGateway(["models.yaml"]);
    for (const path of ["/v2/health/live", "/v2", "/v2/models/nope", "/v2/repository/index"]) {
      const { headers } = await getJson(`${gw.url}${path}`);
      expect({ path, id: Boolean(headers.get("x-request-id")) }).toEqual({ path, id: true });
    }
    const missing = await postJson(`${gw.url}/v2/models/nope/infer`, {});
    expect(missing.headers.get("x-request-id")).toBeTruthy();
  });

  it("Node's own refusals (a broken request line, huge headers) carry the {error} JSON body", async () => {
    const gw = await testGateway(["flow.yaml"]);
    const broken = await raw(gw.url, ["NOT HTTP AT ALL\r\n\r\n"]);
    expect(broken.text).toMatch(/^HTTP\/1\.1 400 /);
    expect(broken.text).toContain('{"error":"the request is not valid HTTP');
    const huge = await raw(gw.url, [`GET / HTTP/1.1\r\nhost: x\r\nx-big: ${"a".repeat(20_000)}\r\n\r\n`]);
    expect(huge.text).toMatch(/^HTTP\/1\.1 431 /);
    expect(huge.text).toContain(`{"error":"the request's headers are too large"}`);
    expect(huge.text).toContain("x-request-id: ");
  });

  it("durations beyond what a timer can keep are refused at flag parsing and at validate", async () => {
    const flag = await sluice("serve", "--timeout", "1000h", "test/fixtures/gateway/flow.yaml");
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--timeout: "1000h" is longer than the longest duration a timer can keep');
    const dir = mkdtempSync(join(tmpdir(), "sluice-long-"));
    const file = join(dir, "long.yaml");
    writeFileSync(
      file,
      "apiVersion: sluice/v1\nkind: Graph\nmetadata: {name: long}\nspec:\n  steps:\n    a: {handler: builtin:set, args: {fields: {a: 1}}, timeout: 1000h}\n",
    );
    const validated = await sluice("validate", file);
    expect(validated.code).toBe(1);
    expect(validated.stderr + validated.stdout).toContain(
      '"1000h" is longer than the longest duration a timer can keep',
    );
  });
});

describe("slow clients cannot hold a socket", () => {
  it("closes a connection whose headers do not arrive in time", async () => {
    const gw = await testGateway(["flow.yaml"], { headersTimeoutMs: 500, timeoutMs: 6_000 });
    // Headers sent over 3 s: past the header timeout, within the request deadline.
    const headers = ["POST / HTTP/1.1\r\n", ...Array.from({ length: 10 }, (_, n) => `x-${n}: 1\r\n`)];
    const slow = await raw(gw.url, headers, 300);
    // Closed while the client was still sending its headers (Node says "request" timeout for both).
    expect(slow.sent).toBeLessThan(headers.length);
    expect(slow.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(slow.text).toContain(`{"error":"the request took too long to arrive"}`);
  });

  it("closes a connection whose body trickles past the request deadline", async () => {
    const gw = await testGateway(["flow.yaml"], { timeoutMs: 1_000 });
    const head =
      "POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n";
    const body = Array.from({ length: 50 }, () => " ");
    const trickle = await raw(gw.url, [head, ...body], 200);
    // Closed while the client was still sending its body, saying why.
    expect(trickle.sent).toBeLessThan(body.length);
    expect(trickle.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(trickle.text).toContain(`{"error":"the request took too long to arrive"}`);
  });
});
