import { EventEmitter } from "node:events";
import { type IncomingMessage, request } from "node:http";
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { isSluiceError } from "../../../src/errors.js";
import {
  BodyTooLargeError,
  collectBody,
  isJsonType,
  jsonBytesOf,
  parseJsonBody,
  readBody,
} from "../../../src/gateway/http/body.js";
import { serveWith } from "../../helpers/serve-with.js";

/** A server that reads each body with `limit` and answers what it read, or the error's status. */
function bodyReader(limit: number): Promise<string> {
  return serveWith((req, res) => {
    readBody(req, limit).then(
      (raw) => res.end(`read ${raw.length}: ${raw.toString()}`),
      (error: unknown) => {
        res.statusCode = isSluiceError(error) ? error.status : 500;
        res.end(String((error as Error).message));
      },
    );
  });
}

/** POSTs `chunks` (chunked unless `length` is declared); resolves with status and body. */
function post(url: string, chunks: string[], length?: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      headers: length === undefined ? { "transfer-encoding": "chunked" } : { "content-length": length },
    });
    req.on("response", (res) => {
      let body = "";
      res.on("data", (d: Buffer) => {
        body += d.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE" && error.code !== "ECONNRESET") reject(error);
    });
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe("request bodies", () => {
  it("are read whole, from one chunk or many, up to the limit exactly", async () => {
    const url = await bodyReader(10);
    expect(await post(url, ["0123456789"], 10)).toEqual({ status: 200, body: "read 10: 0123456789" });
    expect(await post(url, ["012", "345", "6789"])).toEqual({ status: 200, body: "read 10: 0123456789" });
    expect(await post(url, ["ab"])).toEqual({ status: 200, body: "read 2: ab" });
    expect(await post(url, [], 0)).toEqual({ status: 200, body: "read 0: " });
  });

  it("over the limit are refused with 413: a declared length before reading, a chunked one as it passes", async () => {
    const url = await bodyReader(10);
    const refused = { status: 413, body: "request body is larger than the limit of 10 bytes" };
    expect(await post(url, ["01234567890"], 11)).toEqual(refused);
    expect(await post(url, ["012345", "67890"])).toEqual(refused);
    expect(await post(url, ["01234567890", "more", "and more"])).toEqual(refused);
    expect(new BodyTooLargeError(10)).toMatchObject({ code: "SLUICE_ERR_INPUT", status: 413 });
  });

  it("over the limit by their declared length are refused before any of it arrives", async () => {
    const url = await bodyReader(10);
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname);
    let answer = "";
    socket.on("data", (d: Buffer) => {
      answer += d.toString();
    });
    // 10,000 bytes declared, one sent: the answer cannot wait for the rest.
    socket.write("POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 10000\r\n\r\n{");
    await expect.poll(() => answer).toMatch(/^HTTP\/1\.1 413 /);
    socket.destroy();
  });

  it("are answered once, whatever the stream does after a refusal or a failure", () => {
    /** A request stream the test drives event by event. */
    const stream = (headers: Record<string, string> = {}) =>
      Object.assign(new EventEmitter(), { headers, resume: () => {} }) as unknown as IncomingMessage;
    const answers: string[] = [];
    const done = (error: Error | undefined, raw: Buffer) =>
      answers.push(error ? error.message : `read ${raw.length}`);

    const refused = stream();
    collectBody(refused, 4, done);
    refused.emit("data", Buffer.from("12345"));
    refused.emit("data", Buffer.from("6"));
    refused.emit("end");
    refused.emit("error", new Error("reset"));
    expect(answers).toEqual(["request body is larger than the limit of 4 bytes"]);

    answers.length = 0;
    const broken = stream();
    collectBody(broken, 4, done);
    broken.emit("data", Buffer.from("12"));
    broken.emit("error", new Error("reset"));
    broken.emit("error", new Error("reset again"));
    broken.emit("end");
    expect(answers).toEqual(["reset"]);

    answers.length = 0;
    const whole = stream({ "content-length": "3" });
    collectBody(whole, 4, done);
    whole.emit("data", Buffer.from("ab"));
    whole.emit("data", Buffer.from("c"));
    whole.emit("end");
    expect(answers).toEqual(["read 3"]);
  });

  it("read in pieces for a binary tensor request are joined with the tensors' start on an 8-byte boundary", () => {
    const pieces = ["hello ", "binary ", "world"];
    // Sent chunked, and with its length declared (then copied in as the pieces arrive).
    for (const headers of [{}, { "content-length": String(pieces.join("").length) }]) {
      for (const alignAt of [0, 1, 3, 7, 8, 13]) {
        const req = Object.assign(new EventEmitter(), {
          headers,
          resume: () => {},
        }) as unknown as IncomingMessage;
        let joined: Buffer | undefined;
        collectBody(req, 100, (_error, raw) => (joined = raw), alignAt);
        for (const piece of pieces) req.emit("data", Buffer.from(piece));
        req.emit("end");
        expect(joined?.toString()).toBe(pieces.join(""));
        expect(((joined?.byteOffset ?? 0) + alignAt) % 8).toBe(0);
      }
    }
  });

  it("that break off are the request's failure, not a hang", async () => {
    let failure: unknown;
    const url = await serveWith((req) => {
      readBody(req, 1000).catch((error: unknown) => {
        failure = error;
      });
    });
    const req = request(url, { method: "POST", headers: { "content-length": 100 } });
    req.on("error", () => {});
    req.write("only part");
    await new Promise((resolve) => setTimeout(resolve, 50));
    req.destroy();
    await expect.poll(() => failure).toBeInstanceOf(Error);
  });

  it("are JSON for application/json, with parameters, in any case, and for +json types", () => {
    for (const type of [
      "application/json",
      "application/json; charset=utf-8",
      "Application/JSON",
      " application/json ;x=1",
      "application/vnd.api+json",
      "application/problem+json; charset=utf-8",
    ]) {
      expect({ type, json: isJsonType(type) }).toEqual({ type, json: true });
    }
    for (const type of [undefined, "", "text/plain", "application/jsonx", "application/x-ndjson", "json"]) {
      expect({ type, json: isJsonType(type) }).toEqual({ type, json: false });
    }
  });

  it("left in their bytes for a graph that only sends them on keep the caller's JSON type; an empty body is no body", () => {
    const raw = Buffer.from('{"a":1}');
    expect(jsonBytesOf(raw, "application/vnd.api+json")).toMatchObject({
      bytes: raw,
      type: "application/vnd.api+json",
    });
    expect(jsonBytesOf(raw, undefined)).toMatchObject({ bytes: raw, type: "application/json" });
    expect(jsonBytesOf(Buffer.alloc(0), "application/json")).toBeUndefined();
  });

  it("parse as JSON, or are refused with 400 quoting the parser; an empty body is no body", () => {
    expect(parseJsonBody(Buffer.from('{"a":[1,"é"]}'))).toEqual({ a: [1, "é"] });
    expect(parseJsonBody(Buffer.alloc(0))).toBeUndefined();
    expect(parseJsonBody(Buffer.from("0"))).toBe(0);
    let error: unknown;
    try {
      parseJsonBody(Buffer.from("{oops"));
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: "SLUICE_ERR_INPUT", status: 400 });
    expect((error as Error).message).toMatch(/^request body is not valid JSON: .+/);
  });
});
