import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { formatObjects } from "../../../src/cli/deploy.js";
import { renderDeployable } from "../../../src/runtimes/render/index.js";
import { repoRoot, sluice } from "../../helpers/cli.js";

/**
 * `sluice deploy --dry-run` of the examples, checked in under test/fixtures/deploy/. A change
 * to the rendering shows up here as a diff to review; `UPDATE_GOLDEN=1` rewrites the files.
 */
const golden = (name: string) =>
  fileURLToPath(new URL(`../../fixtures/deploy/${name}.yaml`, import.meta.url));
const flags = ["--dry-run", "--namespace", "shop", "--image", "registry.example/sluice:golden"];
const options = { namespace: "shop", image: "registry.example/sluice:golden" };
const graphs: Record<string, string> = {
  enrichment: "examples/enrichment/graph.yaml",
  "error-handling": "examples/error-handling/graph.yaml",
  inference: "examples/inference/graph.yaml",
  "ten-steps": "test/fixtures/deploy/ten-steps/graph.yaml",
};

describe("sluice deploy --dry-run of the examples (and the ten-step graph) matches the golden files", () => {
  for (const [example, path] of Object.entries(graphs)) {
    it(`renders ${path} as checked in`, async () => {
      const output = await formatObjects(await renderDeployable(`${repoRoot}${path}`, options), "yaml");
      if (process.env.UPDATE_GOLDEN === "1") {
        await writeFile(golden(example), output);
      }
      expect(output).toBe(await readFile(golden(example), "utf8"));
    });
  }

  it("prints the same from the command line, ready for kubectl apply -f -", async () => {
    const { code, stdout, stderr } = await sluice("deploy", "examples/enrichment/graph.yaml", ...flags);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toBe(await readFile(golden("enrichment"), "utf8"));
  });
});
