import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { INFERENCE_HEADER_CONTENT_LENGTH } from "../../src/graph/oip/index.js";
import { testGateway } from "../helpers/gateway.js";

const MiB = 1024 * 1024;

interface Sent {
  name: string;
  datatype: string;
  bytes: Buffer;
}

/** A binary-extension body: the JSON header (padded with `pad` spaces), then each tensor's bytes. */
function binaryBody(tensors: Sent[], parameters: Record<string, unknown>, pad = 0) {
  const header = JSON.stringify({
    parameters,
    inputs: tensors.map(({ name, datatype, bytes }) => ({
      name,
      datatype,
      shape: [bytes.length / sizeOf(datatype)],
      parameters: { binary_data_size: bytes.length },
    })),
  });
  const json = Buffer.from(header + " ".repeat(pad));
  return { body: Buffer.concat([json, ...tensors.map((t) => t.bytes)]), headerLength: json.length };
}

function sizeOf(datatype: string): number {
  return { INT8: 1, UINT8: 1, INT16: 2, FP32: 4, FP64: 8 }[datatype] ?? 4;
}

/**
 * POSTs a binary infer request to the echo model (test/fixtures/gateway: it answers each input
 * as output `<name>_out`); `chunked` sends it without a Content-Length.
 */
async function infer(url: string, sent: ReturnType<typeof binaryBody>, chunked = false) {
  const headers = {
    "content-type": "application/octet-stream",
    [INFERENCE_HEADER_CONTENT_LENGTH]: String(sent.headerLength),
  };
  const body = chunked
    ? new ReadableStream({
        start(controller) {
          // Pieces of odd sizes, so no piece boundary falls where a tensor starts.
          for (let at = 0; at < sent.body.length; at += 65_531) {
            controller.enqueue(sent.body.subarray(at, at + 65_531));
          }
          controller.close();
        },
      })
    : sent.body;
  const response = await fetch(`${url}/v2/models/echo/infer`, {
    method: "POST",
    headers,
    body,
    ...(chunked ? { duplex: "half" } : {}),
  } as RequestInit);
  return { response, raw: Buffer.from(await response.arrayBuffer()) };
}

interface Answered {
  header: {
    outputs: {
      name: string;
      datatype: string;
      shape: number[];
      parameters?: Record<string, unknown>;
      data?: unknown[];
    }[];
  };
  parts: Buffer[];
}

/** Splits a binary answer into its JSON header and each binary output's bytes, checking the lengths add up. */
function readAnswer(response: Response, raw: Buffer): Answered {
  expect(response.status).toBe(200);
  expect(Number(response.headers.get("content-length"))).toBe(raw.length);
  const headerLength = Number(response.headers.get(INFERENCE_HEADER_CONTENT_LENGTH));
  const header = JSON.parse(raw.subarray(0, headerLength).toString()) as Answered["header"];
  const parts: Buffer[] = [];
  let offset = headerLength;
  for (const output of header.outputs) {
    const size = output.parameters?.binary_data_size;
    if (size === undefined) continue;
    parts.push(raw.subarray(offset, offset + (size as number)));
    offset += size as number;
  }
  expect(offset).toBe(raw.length); // the binary parts are exactly as long as the header says
  return { header, parts };
}

describe("big tensors with the binary tensor extension, over HTTP", () => {
  it("echoes a 3 MiB FP32 tensor byte for byte, its answer's binary part as long as its header says", async () => {
    const gw = await testGateway(["echo.yaml"], { bodyLimit: 8 * MiB });
    // Random bytes: NaNs with payloads and all; any element read and written again would show.
    const bytes = randomBytes(3 * MiB);
    const { response, raw } = await infer(
      gw.url,
      binaryBody([{ name: "x", datatype: "FP32", bytes }], { binary_data_output: true }),
    );
    const { header, parts } = readAnswer(response, raw);
    expect(header.outputs).toEqual([
      { name: "x_out", datatype: "FP32", shape: [(3 * MiB) / 4], parameters: { binary_data_size: 3 * MiB } },
    ]);
    expect(parts[0]?.equals(bytes)).toBe(true);
  });

  it.each([
    ["12 bytes", 12],
    ["1 MiB", MiB],
  ])("decodes a %s FP32 tensor that starts at an odd offset of the body", async (_size, length) => {
    const gw = await testGateway(["echo.yaml"], { bodyLimit: 4 * MiB });
    const values = Float32Array.from({ length: length / 4 }, (_, i) => i * 0.25 - 7);
    const bytes = Buffer.from(values.buffer);
    // Of four paddings of the header, three leave the tensor off a multiple of 4.
    for (const pad of [0, 1, 2, 3]) {
      const sent = binaryBody([{ name: "x", datatype: "FP32", bytes }], { binary_data_output: true }, pad);
      if (sent.headerLength % 4 === 0) continue;
      const { response, raw } = await infer(gw.url, sent);
      const { parts } = readAnswer(response, raw);
      expect(parts[0]?.equals(bytes)).toBe(true);
    }
  });

  it("reads a binary body sent chunked, without a Content-Length, in pieces that split its tensors", async () => {
    const gw = await testGateway(["echo.yaml"], { bodyLimit: 4 * MiB });
    const ints = randomBytes(3);
    const floats = randomBytes(MiB);
    const doubles = randomBytes(8 * 1001);
    const sent = binaryBody(
      [
        { name: "i", datatype: "INT8", bytes: ints },
        { name: "f", datatype: "FP32", bytes: floats }, // 3 bytes past the header: misaligned
        { name: "d", datatype: "FP64", bytes: doubles },
      ],
      { binary_data_output: true },
      1,
    );
    const { response, raw } = await infer(gw.url, sent, true);
    const { parts } = readAnswer(response, raw);
    expect(parts.map((p) => p.length)).toEqual([3, MiB, 8 * 1001]);
    expect(parts[0]?.equals(ints) && parts[1]?.equals(floats) && parts[2]?.equals(doubles)).toBe(true);
  });

  it("answers a binary input as JSON elements when binary outputs are not asked for", async () => {
    const gw = await testGateway(["echo.yaml"]);
    const values = [1.5, -2.25, 1024, 0];
    const sent = binaryBody(
      [{ name: "x", datatype: "FP32", bytes: Buffer.from(new Float32Array(values).buffer) }],
      {},
    );
    const { response, raw } = await infer(gw.url, sent);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(JSON.parse(raw.toString())).toMatchObject({
      outputs: [{ name: "x_out", datatype: "FP32", shape: [4], data: values }],
    });
  });

  it("sends only the outputs asked for as binary, the others as JSON in the header", async () => {
    const gw = await testGateway(["echo.yaml"]);
    const a = Buffer.from(new Int16Array([-1, 2, 300]).buffer);
    const b = Buffer.from(new Float64Array([0.5]).buffer);
    const header = JSON.stringify({
      inputs: [
        { name: "a", datatype: "INT16", shape: [3], parameters: { binary_data_size: 6 } },
        { name: "b", datatype: "FP64", shape: [1], parameters: { binary_data_size: 8 } },
      ],
      outputs: [{ name: "a_out" }, { name: "b_out", parameters: { binary_data: true } }],
    });
    const { response, raw } = await infer(gw.url, {
      body: Buffer.concat([Buffer.from(header), a, b]),
      headerLength: Buffer.byteLength(header),
    });
    const answered = readAnswer(response, raw);
    expect(answered.header.outputs[0]).toMatchObject({ name: "a_out", data: [-1, 2, 300] });
    expect(answered.parts).toHaveLength(1);
    expect(answered.parts[0]?.equals(b)).toBe(true);
  });
});
