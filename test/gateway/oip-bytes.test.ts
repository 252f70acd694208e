import { describe, expect, it } from "vitest";
import { decodeBinaryRequest, encodeBinaryRequest } from "../../src/graph/oip/index.js";
import { postJson, testGateway } from "../helpers/gateway.js";

/** Eight bytes of a JPEG's start: not UTF-8 (0xff, 0xd8 cannot start a character). */
const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46]);

async function inferBinary(url: string, binaryOutput: boolean) {
  const { body, headerLength } = encodeBinaryRequest(
    {
      inputs: [{ name: "image", shape: [2], datatype: "BYTES", data: [jpeg, "plain text"] }],
      ...(binaryOutput ? { parameters: { binary_data_output: true } } : {}),
    },
    "all",
  );
  const response = await fetch(`${url}/v2/models/echo/infer`, {
    method: "POST",
    headers: {
      "content-type": "application/octet-stream",
      "inference-header-content-length": String(headerLength),
    },
    body,
  });
  return { response, raw: Buffer.from(await response.arrayBuffer()) };
}

describe("BYTES tensors round-trip byte for byte", () => {
  it("decodes non-UTF-8 BYTES elements of a binary request as Buffers, UTF-8 ones as strings", () => {
    const { body, headerLength } = encodeBinaryRequest({
      inputs: [{ name: "image", shape: [2], datatype: "BYTES", data: [jpeg, "plain text"] }],
    });
    const [image] = decodeBinaryRequest(body, headerLength).inputs;
    expect(Buffer.isBuffer(image?.data[0])).toBe(true);
    expect((image as { data: Buffer[] }).data[0]?.equals(jpeg)).toBe(true);
    expect(image?.data[1]).toBe("plain text");
  });

  it("answers a binary BYTES output with exactly the bytes that came in", async () => {
    const gw = await testGateway(["echo.yaml"]);
    const { response, raw } = await inferBinary(gw.url, true);
    expect(response.status).toBe(200);
    const length = Number(response.headers.get("inference-header-content-length"));
    const out = decodeBinaryRequest(
      Buffer.concat([
        Buffer.from(JSON.stringify({ inputs: JSON.parse(raw.subarray(0, length).toString()).outputs })),
        raw.subarray(length),
      ]),
      Buffer.byteLength(JSON.stringify({ inputs: JSON.parse(raw.subarray(0, length).toString()).outputs })),
    );
    const element = out.inputs[0]?.data[0];
    expect(Buffer.isBuffer(element) && element.equals(jpeg)).toBe(true);
    expect(out.inputs[0]?.data[1]).toBe("plain text");
  });

  it("answers non-UTF-8 BYTES in a JSON response as base64, marked by the tensor's content_type", async () => {
    const gw = await testGateway(["echo.yaml"]);
    const { response, raw } = await inferBinary(gw.url, false);
    expect(response.status).toBe(200);
    const body = JSON.parse(raw.toString()) as {
      outputs: { data: string[]; parameters?: Record<string, unknown> }[];
    };
    expect(body.outputs[0]?.parameters).toEqual({ content_type: "base64" });
    expect(Buffer.from(body.outputs[0]?.data[0] as string, "base64").equals(jpeg)).toBe(true);
    expect(Buffer.from(body.outputs[0]?.data[1] as string, "base64").toString()).toBe("plain text");
  });

  it("keeps JSON BYTES strings as strings", async () => {
    const gw = await testGateway(["echo.yaml"]);
    const { status, body } = await postJson(`${gw.url}/v2/models/echo/infer`, {
      inputs: [{ name: "t", shape: [1], datatype: "BYTES", data: ["héllo"] }],
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({ outputs: [{ name: "t_out", datatype: "BYTES", data: ["héllo"] }] });
  });
});
