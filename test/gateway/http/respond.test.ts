import { describe, expect, it } from "vitest";
import { SluiceError } from "../../../src/errors.js";
import { sendError, sendJson, statusOf } from "../../../src/gateway/http/respond.js";
import { serveWith } from "../../helpers/serve-with.js";

/** GETs `url` and returns the status, the headers that matter here, and the body. */
async function answer(url: string) {
  const response = await fetch(url);
  return {
    status: response.status,
    type: response.headers.get("content-type"),
    length: response.headers.get("content-length"),
    retryAfter: response.headers.get("retry-after"),
    requestId: response.headers.get("x-request-id"),
    body: await response.text(),
  };
}

describe("the data plane's answers", () => {
  it("give every error its status: ours carry one, anything else is our own failure (500)", () => {
    expect(statusOf(new SluiceError("SLUICE_ERR_INPUT", "bad"))).toBe(400);
    expect(statusOf(new SluiceError("SLUICE_ERR_MODEL_NOT_FOUND", "none"))).toBe(404);
    expect(statusOf(new SluiceError("SLUICE_ERR_INPUT", "big", { status: 413 }))).toBe(413);
    expect(statusOf(new SluiceError("SLUICE_ERR_STEP_TIMEOUT", "late"))).toBe(504);
    expect(statusOf(new Error("plain"))).toBe(500);
    expect(statusOf("a string")).toBe(500);
    expect(statusOf(undefined)).toBe(500);
  });

  it("send JSON with its length and the request id", async () => {
    const url = await serveWith((_req, res) => sendJson(res, 201, { é: "ü" }, "req-1"));
    expect(await answer(url)).toMatchObject({
      status: 201,
      type: "application/json",
      length: String(Buffer.byteLength('{"é":"ü"}')),
      requestId: "req-1",
      body: '{"é":"ü"}',
    });
    const anonymous = await serveWith((_req, res) => sendJson(res, 200, [1]));
    expect((await answer(anonymous)).requestId).toBeNull();
  });

  it("send an error as {error} with its status, and Retry-After only where waiting helps", async () => {
    const cases: [unknown, number, string | null][] = [
      [new SluiceError("SLUICE_ERR_INPUT", "bad input"), 400, null],
      [new SluiceError("SLUICE_ERR_OVERLOADED", "full"), 503, "1"],
      [new SluiceError("SLUICE_ERR_CIRCUIT_OPEN", "open", { retryAfter: 7 }), 503, "7"],
      [new SluiceError("SLUICE_ERR_OVERLOADED", "slow down", { status: 429 }), 429, "1"],
      [new SluiceError("SLUICE_ERR_MODEL_NOT_READY", "failed to load", { permanent: true }), 503, null],
      [new SluiceError("SLUICE_ERR_STEP_TIMEOUT", "late"), 504, null],
      [new Error("our own"), 500, null],
      ["a thrown string", 500, null],
    ];
    for (const [error, status, retryAfter] of cases) {
      const url = await serveWith((_req, res) => sendError(res, error, "req-2"));
      const message = error instanceof Error ? error.message : String(error);
      expect(await answer(url)).toMatchObject({
        status,
        retryAfter,
        requestId: "req-2",
        body: JSON.stringify({ error: message }),
      });
    }
  });

  it("never answer twice: an error after the answer was sent drops the connection instead", async () => {
    const url = await serveWith((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("partial");
      sendError(res, new Error("late failure"));
    });
    await expect(fetch(url).then((r) => r.text())).rejects.toThrow();
  });
});
