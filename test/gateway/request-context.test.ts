import { describe, expect, it } from "vitest";
import { deadlineMsOf, newRequestId, requestIdOf, traceparentOf } from "../../src/gateway/request-context.js";

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("a request's context", () => {
  it("keeps the caller's x-request-id (up to 200 characters), else makes one", () => {
    expect(requestIdOf({ "x-request-id": "r-1" })).toBe("r-1");
    expect(requestIdOf({ "x-request-id": "x".repeat(200) })).toBe("x".repeat(200));
    for (const given of [undefined, "", "x".repeat(201)]) {
      expect(requestIdOf({ "x-request-id": given })).toMatch(uuid);
    }
  });

  it("makes request ids in UUID form, each different, counting up under one random prefix", () => {
    const ids = Array.from({ length: 5000 }, () => newRequestId());
    for (const id of ids.slice(0, 50)) expect(id).toMatch(uuid);
    expect(new Set(ids).size).toBe(ids.length);
    // Each id is the one before plus one, across the 256-id blocks whose head is made once.
    for (let i = 1; i < ids.length; i++) {
      const [a, b] = [ids[i - 1] as string, ids[i] as string];
      expect(b.slice(0, 29)).toBe(a.slice(0, 29));
      expect(Number.parseInt(b.slice(29), 16) - Number.parseInt(a.slice(29), 16)).toBe(1);
    }
  });

  it("keeps a well-formed traceparent, else starts a sampled trace", () => {
    const given = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    expect(traceparentOf({ traceparent: given })).toBe(given);
    const traceparent = /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/;
    for (const bad of [
      undefined,
      "",
      "00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01",
      `${given}-x`,
      `x${given}`,
      "01-x",
    ]) {
      const made = traceparentOf({ traceparent: bad });
      expect(made).toMatch(traceparent);
      expect(made).not.toBe(bad);
    }
    // New traces differ, across the random pool's refills too.
    const made = new Set(Array.from({ length: 500 }, () => traceparentOf({})));
    expect(made.size).toBe(500);
  });

  it("takes the caller's x-request-timeout up to the cap, else the default", () => {
    expect(deadlineMsOf({}, 1000, 5000)).toBe(1000);
    expect(deadlineMsOf({ "x-request-timeout": "250ms" }, 1000, 5000)).toBe(250);
    expect(deadlineMsOf({ "x-request-timeout": "2s" }, 1000, 5000)).toBe(2000);
    expect(deadlineMsOf({ "x-request-timeout": "300" }, 1000, 5000)).toBe(300);
    expect(deadlineMsOf({ "x-request-timeout": "12.5" }, 1000, 5000)).toBe(12.5);
    expect(deadlineMsOf({ "x-request-timeout": "1.25" }, 1000, 5000)).toBe(1.25);
    expect(deadlineMsOf({ "x-request-timeout": "1h" }, 1000, 5000)).toBe(5000);
    expect(deadlineMsOf({ "x-request-timeout": "5000" }, 1000, 5000)).toBe(5000);
  });

  it("refuses an x-request-timeout that is not a duration with a 400 quoting it", () => {
    for (const bad of ["soon", "-5", "0", "1 d", "ms", "x5"]) {
      expect(() => deadlineMsOf({ "x-request-timeout": bad }, 1000, 5000)).toThrow(
        expect.objectContaining({
          status: 400,
          message: `x-request-timeout: "${bad}" is not a duration (e.g. 250ms, 2s)`,
        }),
      );
    }
  });
});
