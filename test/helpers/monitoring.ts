import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { postJson } from "./gateway.js";

/** The monitoring tests' models (test/fixtures/triggers/monitored-models.mjs). */
export const monitoredModels = fileURLToPath(
  new URL("../fixtures/triggers/monitored-models.mjs", import.meta.url),
);

/** The text generation tests' token models (test/fixtures/gateway/token-models.mjs). */
export const tokenModels = fileURLToPath(new URL("../fixtures/gateway/token-models.mjs", import.meta.url));

/**
 * Writes a graph document to a temp file; `MODELS` in it stands for the fixture module,
 * `TOKENS` for the token models.
 */
export async function monitoredGraph(yaml: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "sluice-monitoring-"));
  const file = join(dir, "graph.yaml");
  await writeFile(file, yaml.replaceAll("MODELS", monitoredModels).replaceAll("TOKENS", tokenModels));
  return file;
}

/** One OIP infer call of `model` with request id `id` and the inputs `data`. */
export async function infer(url: string, model: string, id: string, data: number[] = [1, 2, 3, 4]) {
  return postJson(
    `${url}/v2/models/${model}/infer`,
    {
      id: `oip-${id}`,
      parameters: { note: id },
      inputs: [{ name: "x", shape: [1, data.length], datatype: "FP32", data }],
    },
    { "x-request-id": id },
  );
}

/** A metric's value in Prometheus text, 0 when the series is not there. */
export function metricValue(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = line.slice(name.length + 1, line.indexOf("}"));
    if (wanted.every((w) => labelText.split(",").includes(w)))
      return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return 0;
}

/** The gateway's metrics, read from its admin plane over HTTP. */
export async function metricsText(adminUrl: string): Promise<string> {
  return (await fetch(`${adminUrl}/metrics`)).text();
}
