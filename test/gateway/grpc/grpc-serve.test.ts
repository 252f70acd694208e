import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import type { ModelInferResponse } from "../../../src/gateway/grpc/index.js";
import { sluice } from "../../helpers/cli.js";
import { testGateway } from "../../helpers/gateway.js";
import { oipGrpcClient } from "../../helpers/grpc-client.js";
import { serveProcess } from "../../helpers/serve-process.js";

const graph = "test/fixtures/gateway/grpc.yaml";

describe("sluice serve --grpc-port", () => {
  it("a --grpc-port that is not a port is a usage error (exit 2) naming the flag", async () => {
    const result = await sluice("serve", "--grpc-port", "http", graph);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--grpc-port must be a port number (0-65535), got "http"');
  });

  it("a gRPC port already taken stops the start with one line saying so", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const { port } = taken.address() as { port: number };
    try {
      await expect(testGateway(["grpc.yaml"], { grpcPort: port })).rejects.toThrow(
        `cannot listen for gRPC: port ${port} on 127.0.0.1 is in use`,
      );
    } finally {
      taken.close();
    }
  });

  it("with --workers 2 every worker serves gRPC on the one shared port", async () => {
    const server = await serveProcess(["--workers", "2", "--grpc-port", "0", graph]);
    expect(server.grpcAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    // The cluster hands out connections, not calls: a client of its own per call.
    const pids = new Set<string>();
    for (let i = 0; i < 12 && pids.size < 2; i++) {
      const client = oipGrpcClient(server.grpcAddress as string);
      const response = await client.ok<ModelInferResponse>("ModelInfer", {
        model_name: "pid",
        inputs: [{ name: "x", datatype: "FP32", shape: [1], contents: { fp32_contents: [1] } }],
      });
      pids.add(String(response.outputs[0]?.contents?.int64_contents?.[0]));
      client.client.close();
    }
    expect(pids.size).toBe(2);
    expect(pids.has(String(server.child.pid))).toBe(false);
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  });
});
