import { request as httpRequest } from "node:http";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isSluiceError } from "../../src/errors.js";
import { decodeBinaryRequest, parseInferRequest } from "../../src/graph/oip/index.js";
import { getJson, testGateway } from "../helpers/gateway.js";

/** Sends one request as generated (path and headers as written) and resolves with its status. */
function send(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
): Promise<number> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { hostname, port, path, method, agent: false, headers: { ...headers, "content-length": body.length } },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const segment = fc.oneof(
  fc.constantFrom(
    "v2",
    "models",
    "double",
    "infer",
    "ready",
    "health",
    "live",
    "versions",
    "v2",
    "graphs",
    "echo-default",
    "explain",
    "repository",
    "..",
    ".",
    "%2F",
    "%2e%2e",
    "%64ouble",
    "",
  ),
  fc.stringMatching(/^[a-zA-Z0-9._~%-]{0,12}$/),
);
const generatedPath = fc
  .tuple(fc.array(segment, { maxLength: 6 }), fc.option(fc.stringMatching(/^[a-z0-9=&]{0,10}$/)))
  .map(([parts, query]) => `/${parts.join("/")}${query === null ? "" : `?${query}`}`);
// Half the paths are the OIP's own (where caller mistakes used to become 500s), half anything.
const path = fc.oneof(
  fc.constantFrom(
    "/v2/models/double/infer",
    "/v2/models/double/versions/v2/infer",
    "/v2/models/double/explain",
  ),
  generatedPath,
);
const method = fc.oneof(
  fc.constant("POST"),
  fc.constantFrom("GET", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"),
);
const contentType = fc.constantFrom(
  undefined,
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "application/octet-stream",
  "application/x-www-form-urlencoded",
  "application/vnd+json",
  "",
);
const jsonBody = fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v)));
const inferBody = fc
  .record({
    name: fc.constantFrom("x", "y", ""),
    shape: fc.array(fc.integer({ min: -2, max: 4 }), { maxLength: 3 }),
    datatype: fc.constantFrom("FP64", "FP32", "INT8", "BYTES", "BOOL", "fp64", "NOPE"),
    data: fc.oneof(fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 5 }), fc.constant(null)),
  })
  .map((tensor) => Buffer.from(JSON.stringify({ inputs: [tensor] })));
const body = fc.oneof(
  jsonBody,
  inferBody,
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  inferBody.map((b) => b.subarray(0, Math.floor(b.length / 2))), // truncated
);
const extraHeaders = fc.record(
  {
    "inference-header-content-length": fc.oneof(
      fc.nat({ max: 400 }).map(String),
      fc.constantFrom("0x10", "-1", "1e2", " 5"),
    ),
    "x-request-timeout": fc.constantFrom("1s", "soon", "0", "-5", "1000h", "250ms"),
    "x-request-id": fc.stringMatching(/^[a-z0-9-]{0,40}$/),
  },
  { requiredKeys: [] },
);

describe("HTTP fuzzing of the data plane", () => {
  it("never answers 5xx to a caller's mistake and never goes down", { timeout: 120_000 }, async () => {
    const gw = await testGateway(["echo-default.yaml", "models.yaml"], { bodyLimit: 4096 });
    await fc.assert(
      fc.asyncProperty(
        method,
        path,
        contentType,
        extraHeaders,
        body,
        async (m, p, type, headers, payload) => {
          const all: Record<string, string> = { ...headers };
          if (type !== undefined) all["content-type"] = type;
          const status = await send(gw.url, m, p, all, payload);
          expect({ m, p, type, headers, status: status < 500 }).toEqual({
            m,
            p,
            type,
            headers,
            status: true,
          });
        },
      ),
      { numRuns: 300 },
    );
    expect((await getJson(`${gw.url}/v2/health/live`)).status).toBe(200);
  });

  it("answers an oversized body 413 and keeps serving", async () => {
    const gw = await testGateway(["echo-default.yaml"], { bodyLimit: 1024 });
    expect(
      await send(gw.url, "POST", "/", { "content-type": "application/json" }, Buffer.alloc(5000, 32)),
    ).toBe(413);
    expect((await getJson(`${gw.url}/v2/health/live`)).status).toBe(200);
  });
});

describe("the OIP parsers, on anything", () => {
  it("parseInferRequest returns a request or throws a 400 SluiceError, nothing else", () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.jsonValue()), (value) => {
        try {
          parseInferRequest(value);
        } catch (error) {
          expect(isSluiceError(error) && error.status === 400).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("decodeBinaryRequest takes any bytes and any header length: a request or a 400", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: -5, max: 250 }), (bytes, length) => {
        try {
          decodeBinaryRequest(Buffer.from(bytes), length);
        } catch (error) {
          expect(isSluiceError(error) && error.status === 400).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
