import { request as httpRequest } from "node:http";
import { describe, expect, it } from "vitest";
import { postJson, testGateway } from "../helpers/gateway.js";
import { stepsGraphFile } from "../helpers/graphs.js";
import { startUpstream } from "../helpers/upstream.js";

/** A POST whose path goes on the wire exactly as given. */
function rawPost(base: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { hostname, port, path, method: "POST", headers: { "content-type": "application/json" } },
      (res) => {
        let body = "";
        res.on("data", (d: Buffer) => {
          body += d.toString();
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end("{}");
  });
}

const graphFile = (name: string, steps: string) => stepsGraphFile(name, steps);

describe("remote steps are hardened against callers and targets", () => {
  it("refuses a caller's path that escapes the {path} prefix with .. or encoded slashes (400), sending nothing", async () => {
    const up = await startUpstream();
    const file = await graphFile("proxy", `call: {kind: remote, url: "${up.url}/public/{path}"}`);
    const gw = await testGateway([file]);
    for (const path of ["a%2F..%2F..%2Finternal%2Fadmin", "a/%2e%2e/%2e%2e/internal", "a%5C..%5Cinternal"]) {
      // Sent as written: fetch() would resolve the %2e%2e segments itself.
      const { status, body } = await rawPost(`${gw.url}`, `/graphs/proxy/${path}`);
      expect({ path, status }).toEqual({ path, status: 400 });
      expect(body).toContain("path");
    }
    expect(up.requests).toBe(0);
    expect((await postJson(`${gw.url}/graphs/proxy/ok/fine`, { a: 1 })).status).toBe(200);
    expect(up.paths).toEqual(["/public/ok/fine"]);
  });

  it("answers an upstream failure with a generic 502: no internal URL, query or upstream body", async () => {
    const up = await startUpstream((_req, res) => {
      res.statusCode = 500;
      res.end("stack trace: secret internals");
    });
    const file = await graphFile("leaky", `call: {kind: remote, url: "${up.url}/score?api_key=s3cr3t"}`);
    const gw = await testGateway([file]);
    const { status, body, headers } = await postJson(`${gw.url}/`, {});
    expect(status).toBe(502);
    const error = (body as { error: string }).error;
    expect(error).not.toContain("s3cr3t");
    expect(error).not.toContain("127.0.0.1");
    expect(error).not.toContain("secret internals");
    expect(error).toContain(headers.get("x-request-id") as string);
    expect(error).toContain("answered 500");
  });

  it('counts a 3xx as a failure (502 "answered 302"), not a 204', async () => {
    const up = await startUpstream((_req, res) => {
      res.writeHead(302, { location: "http://elsewhere.example/" });
      res.end();
    });
    const file = await graphFile("moved", `call: {kind: remote, url: "${up.url}/"}`);
    const gw = await testGateway([file]);
    const { status, body } = await postJson(`${gw.url}/`, {});
    expect(status).toBe(502);
    expect((body as { error: string }).error).toContain("answered 302");
  });

  it("answers garbage JSON from a target with 502 when a step after it reads the answer", async () => {
    const up = await startUpstream((_req, res) => {
      res.setHeader("content-type", "application/json");
      res.end("{not json");
    });
    // A remote step that answers the caller directly relays the target's bytes unread
    // (test/gateway/remote-pass-through.test.ts); one whose answer a step reads parses it.
    const file = await graphFile(
      "garbage",
      `call: {kind: remote, url: "${up.url}/"}
      after: {handler: "builtin:echo", after: [call]}`,
    );
    const gw = await testGateway([file]);
    expect((await postJson(`${gw.url}/`, {})).status).toBe(502);
  });

  it("waits what an upstream 503's Retry-After asks before retrying", async () => {
    const times: number[] = [];
    const up = await startUpstream((_req, res) => {
      times.push(Date.now());
      if (times.length === 1) {
        res.writeHead(503, { "retry-after": "1" });
        res.end();
      } else {
        res.setHeader("content-type", "application/json");
        res.end("{}");
      }
    });
    const file = await graphFile(
      "patient",
      `call: {kind: remote, url: "${up.url}/", retries: 2, backoff: {initial: 10ms, max: 5s}}`,
    );
    const gw = await testGateway([file]);
    expect((await postJson(`${gw.url}/`, {})).status).toBe(200);
    expect(times).toHaveLength(2);
    expect((times[1] as number) - (times[0] as number)).toBeGreaterThanOrEqual(950);
  });

  it("refuses credentials in a remote step's URL at validate instead of dropping them", async () => {
    const file = await graphFile("creds", `call: {kind: remote, url: "http://user:pw@127.0.0.1:9/x"}`);
    await expect(testGateway([file])).rejects.toThrow(/credentials/);
  });
});
