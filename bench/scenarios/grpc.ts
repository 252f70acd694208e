/**
 * The OIP over gRPC: `sluice serve --grpc-port` against a bare @grpc/grpc-js server doing the
 * same echo work, and sluice's gRPC against its own HTTP for the same model. Both servers are
 * child processes; each round's load is a process of its own (bench/lib/grpc-load.mjs).
 */
import { withServer } from "../lib/child.js";
import { grpcAddressOf, grpcLoad, serveBareGrpc, serveSluiceGrpc } from "../lib/grpc.js";
import { httpFigures, sideBySideHttp } from "../lib/load.js";
import type { Scenario } from "../lib/scenario.js";

const graph = "bench/graphs/oip-echo.yaml";

const versusBare = "grpc: OIP ModelInfer, trivial model, vs bare @grpc/grpc-js";
const versusHttp = "grpc: OIP infer over gRPC vs over HTTP/JSON, same sluice and model";

export const grpcScenarios: Scenario[] = [
  {
    name: versusBare,
    unit: "req/s",
    bar: { ratioAtLeast: 0.75 },
    run: () =>
      withServer(serveSluiceGrpc([graph]), (sluice) =>
        withServer(serveBareGrpc(), async (bare) => {
          const address = grpcAddressOf(sluice);
          return httpFigures(
            versusBare,
            await sideBySideHttp(
              { url: address, load: (s) => grpcLoad(address, s, { cpuSeconds: sluice.cpuSeconds }) },
              { url: bare.url, load: (s) => grpcLoad(bare.url, s, { cpuSeconds: bare.cpuSeconds }) },
            ),
            { ratioAtMost: 1.3 },
          );
        }),
      ),
  },
  {
    // Different clients load each side (a grpc-js process, autocannon): the ratio says what a
    // caller gets from each protocol here, load generator included, not the gateway's own cost.
    name: versusHttp,
    unit: "req/s",
    bar: {},
    run: () =>
      withServer(serveSluiceGrpc([graph]), async (sluice) => {
        const address = grpcAddressOf(sluice);
        return httpFigures(
          versusHttp,
          await sideBySideHttp(
            { url: address, load: (s) => grpcLoad(address, s, { cpuSeconds: sluice.cpuSeconds }) },
            { url: `${sluice.url}/v2/models/echo/infer`, cpuSeconds: sluice.cpuSeconds },
          ),
        );
      }),
  },
];
