/**
 * Triton's own Python clients, `tritonclient.grpc` and `tritonclient.http` unmodified, against
 * a real `sluice serve --grpc-port` process. The clients live in a venv made once per machine
 * (test/helpers/python-venv.ts); this file is in the integration project for that reason.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { pythonVenv } from "../../helpers/python-venv.js";
import { serveProcess } from "../../helpers/serve-process.js";

const fixture = (path: string) => fileURLToPath(new URL(`../../fixtures/${path}`, import.meta.url));
const script = fixture("python/oip_client.py");

let python: string;
beforeAll(async () => {
  python = await pythonVenv(fixture("python/tritonclient-requirements.txt"));
  // The first run on a machine installs the clients (~15 s here, longer on a cold pip cache);
  // later runs find the venv in the cache at once.
}, 300_000);

type Protocol = "grpc" | "http";

/** Serves the gRPC tests' models; answers the address each protocol's client takes. */
async function serve(): Promise<Record<Protocol, string>> {
  const server = await serveProcess(["--grpc-port", "0", fixture("gateway/grpc.yaml")]);
  return { grpc: server.grpcAddress as string, http: server.url.replace("http://", "") };
}

interface Answer {
  answer?: unknown;
  error?: { status: string; message: string };
}

/** One call of oip_client.py: what tritonclient answered, or the error it raised. */
async function triton(protocol: Protocol, address: string, call: string, args: object = {}): Promise<Answer> {
  const { stdout } = await promisify(execFile)(python, [
    script,
    protocol,
    address,
    call,
    JSON.stringify(args),
  ]);
  return JSON.parse(stdout) as Answer;
}

const tensors = {
  fp32: { name: "f", datatype: "FP32", shape: [2, 2], data: [0.5, -1.25, 3, 1e-3] },
  int64: {
    name: "i",
    datatype: "INT64",
    shape: [3],
    data: ["1", "1152921504606846977", "-9223372036854775808"],
  },
  // UTF-8 text, an empty element and bytes that are not UTF-8.
  bytes: { name: "s", datatype: "BYTES", shape: [3], data: ["6869", "", "ff0080"] },
};
// FP32 round-trips through float32: 1e-3 comes back as the float32 nearest to it.
const fp32Back = [0.5, -1.25, 3, Math.fround(1e-3)];

describe.each(["grpc", "http"] as const)("tritonclient.%s against sluice", (protocol) => {
  it("says the server is live and ready and the model ready, and reads the metadata", async () => {
    const address = (await serve())[protocol];
    expect(await triton(protocol, address, "live")).toEqual({ answer: true });
    expect(await triton(protocol, address, "ready")).toEqual({ answer: true });
    expect(await triton(protocol, address, "model_ready", { model: "features" })).toEqual({ answer: true });
    expect((await triton(protocol, address, "server_metadata")).answer).toMatchObject({ name: "sluice" });
    expect(await triton(protocol, address, "model_metadata", { model: "features" })).toEqual({
      answer: {
        name: "features",
        platform: "test",
        inputs: [{ name: "features", datatype: "FP32", shape: protocol === "grpc" ? ["-1", "4"] : [-1, 4] }],
        ...(protocol === "http" ? { outputs: [] } : {}),
      },
    });
  });

  it("infers FP32, INT64 and BYTES tensors, in and out, exactly", async () => {
    const address = (await serve())[protocol];
    const inputs = [tensors.fp32, tensors.int64, tensors.bytes];
    const { answer, error } = await triton(protocol, address, "infer", {
      model: "echo",
      inputs,
      id: "req-7",
    });
    expect(error).toBeUndefined();
    expect(answer).toEqual({
      id: "req-7",
      outputs: {
        f_out: { datatype: "FP32", shape: [2, 2], data: fp32Back },
        i_out: { datatype: "INT64", shape: [3], data: tensors.int64.data },
        s_out: { datatype: "BYTES", shape: [3], data: tensors.bytes.data },
      },
    });
  });

  it("an unknown model is NOT_FOUND (404), naming the served models", async () => {
    const address = (await serve())[protocol];
    const { error } = await triton(protocol, address, "infer", { model: "nope", inputs: [tensors.fp32] });
    expect(error).toEqual({
      status: protocol === "grpc" ? "StatusCode.NOT_FOUND" : "404",
      message: 'model "nope" not found; known models: echo, features, slow, half, tagged:2, pid',
    });
  });

  it("an input the model does not take is INVALID_ARGUMENT (400), quoting it", async () => {
    const address = (await serve())[protocol];
    const wrong = { name: "features", datatype: "FP32", shape: [1, 3], data: [1, 2, 3] };
    const { error } = await triton(protocol, address, "infer", { model: "features", inputs: [wrong] });
    expect(error).toEqual({
      status: protocol === "grpc" ? "StatusCode.INVALID_ARGUMENT" : "400",
      message: 'input "features": shape [1,3] does not match [-1,4]',
    });
  });
});

describe("deadlines through tritonclient", () => {
  it("tritonclient.grpc's client_timeout on a slow model is DEADLINE_EXCEEDED", async () => {
    const { grpc } = await serve();
    const { error } = await triton("grpc", grpc, "infer", {
      model: "slow",
      inputs: [tensors.fp32],
      client_timeout: 0.3,
    });
    expect(error?.status).toBe("StatusCode.DEADLINE_EXCEEDED");
  });

  it("tritonclient.http with x-request-timeout on a slow model is 504, as gRPC's DEADLINE_EXCEEDED", async () => {
    const { http } = await serve();
    const { error } = await triton("http", http, "infer", {
      model: "slow",
      inputs: [tensors.fp32],
      headers: { "x-request-timeout": "300ms" },
    });
    expect(error).toEqual({ status: "504", message: "the request's deadline of 300 ms passed" });
  });

  it("tritonclient.http's JSON tensors (binary_data off) round-trip too", async () => {
    const { http } = await serve();
    // JSON numbers: INT64 stays exact only within 2^53 this way.
    const int64 = { name: "i", datatype: "INT64", shape: [2], data: ["1", "-3"] };
    const { answer } = await triton("http", http, "infer", {
      model: "echo",
      inputs: [tensors.fp32, int64],
      binary: false,
    });
    expect(answer).toMatchObject({
      outputs: {
        f_out: { datatype: "FP32", shape: [2, 2], data: fp32Back },
        i_out: { datatype: "INT64", shape: [2], data: int64.data },
      },
    });
  });
});
