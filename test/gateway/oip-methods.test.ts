import { request as httpRequest } from "node:http";
import { describe, expect, it } from "vitest";
import { testGateway } from "../helpers/gateway.js";

/** A request sent as written (fetch() refuses TRACE and resolves `..`). */
function send(base: string, method: string, path: string, body?: string) {
  const { hostname, port } = new URL(base);
  return new Promise<{ status: number; allow: string | undefined; body: string }>((resolve, reject) => {
    const req = httpRequest(
      {
        hostname,
        port,
        path,
        method,
        headers: {
          "content-type": "application/json",
          ...(body === undefined ? {} : { "content-length": Buffer.byteLength(body) }),
        },
      },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => {
          text += d.toString();
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, allow: res.headers.allow, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("OIP paths never reach a graph", () => {
  it("answers 405 with Allow for a method an OIP path does not define", async () => {
    // flow.yaml is the default graph: if an OIP path fell through, it would run and answer 200.
    const gw = await testGateway(["flow.yaml", "models.yaml"]);
    const cases: [string, string, string][] = [
      ["PUT", "/v2/health/live", "GET, HEAD"],
      ["DELETE", "/v2/health/ready", "GET, HEAD"],
      ["POST", "/v2/health/ready", "GET, HEAD"],
      ["OPTIONS", "/v2", "GET, HEAD"],
      ["PATCH", "/v2/models/double", "GET, HEAD"],
      ["TRACE", "/v2/models/double/ready", "GET, HEAD"],
      ["GET", "/v2/models/double/infer", "POST"],
      ["PUT", "/v2/models/double/versions/v2/infer", "POST"],
    ];
    for (const [method, path, allow] of cases) {
      const answer = await send(gw.url, method, path, method === "TRACE" ? undefined : '{"n":1}');
      expect({ method, path, status: answer.status, allow: answer.allow }).toEqual({
        method,
        path,
        status: 405,
        allow,
      });
    }
  });

  it("answers HEAD on health and metadata like GET, without a body", async () => {
    const gw = await testGateway(["models.yaml"]);
    for (const path of ["/v2/health/live", "/v2/health/ready", "/v2", "/v2/models/double"]) {
      const answer = await send(gw.url, "HEAD", path);
      expect({ path, status: answer.status, body: answer.body }).toEqual({ path, status: 200, body: "" });
    }
  });

  it("without --model-repository, does not advertise model_repository, and answers /v2/repository/* and odd /v2 paths 404", async () => {
    const gw = await testGateway(["flow.yaml", "models.yaml"]);
    const server = await send(gw.url, "GET", "/v2");
    expect(JSON.parse(server.body).extensions).not.toContain("model_repository");
    for (const path of [
      "/v2/repository/index",
      "/v2/repository/models/double/load",
      "/v2//models/double/infer",
    ]) {
      const answer = await send(gw.url, "POST", path, '{"n":1}');
      expect({ path, status: answer.status }).toEqual({ path, status: 404 });
    }
  });
});
