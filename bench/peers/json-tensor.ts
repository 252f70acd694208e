/**
 * A big JSON tensor in bench:peers: the echo model sent one FP32 tensor of 100,000 floats as
 * JSON (about 1 MB of text each way), sluice serve against MLServer 1.7.1 in its fastest setting
 * for a trivial model (parallel_workers=0), in alternating rounds over 8 connections: a body
 * this size fills the pipe with few. The same values on both sides; each parses the JSON,
 * checks the tensor and writes it back.
 */
import { withServer } from "../lib/child.js";
import { httpFigures, sideBySideHttp } from "../lib/load.js";
import type { Figure, Measured } from "../lib/scenario.js";
import { inferPath, mlserver, sluice } from "./servers.js";

const floats = 100_000;

/** Floats of a few digits, as a client's JSON of model features would carry them. */
const body = JSON.stringify({
  id: "bench-json-tensor",
  inputs: [
    {
      name: "x",
      shape: [1, floats],
      datatype: "FP32",
      data: Array.from({ length: floats }, (_, i) => Math.round(Math.sin(i) * 1e4) / 1e3),
    },
  ],
});

const sluiceOne = sluice(1);
const mlserverZero = mlserver(0);

export const jsonTensorContestName = `peers: OIP infer of a JSON FP32 tensor of ${floats.toLocaleString("en-US")} floats, ${sluiceOne.label} vs ${mlserverZero.label}`;

/** req/s, p99 latency and CPU per request of the two, in alternating rounds. */
export async function jsonTensorContest(): Promise<Measured & { more: Figure[] }> {
  return withServer(sluiceOne.start(), (s) =>
    withServer(mlserverZero.start(), async (m) => {
      const measured = await sideBySideHttp(
        { url: s.url + inferPath, cpuSeconds: s.cpuSeconds },
        { url: m.url + inferPath, cpuSeconds: m.cpuSeconds },
        { body, connections: 8 },
      );
      return httpFigures(jsonTensorContestName, measured);
    }),
  );
}
