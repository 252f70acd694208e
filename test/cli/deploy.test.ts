import { describe, expect, it } from "vitest";
import { sluice } from "../helpers/cli.js";

const image = ["--image", "registry.example/sluice:1"];

describe("sluice deploy --dry-run", () => {
  it("prints a v1 List with -o json, the objects in apply order", async () => {
    const { code, stdout } = await sluice(
      "deploy",
      "examples/inference/graph.yaml",
      "--dry-run",
      "-o",
      "json",
      ...image,
    );
    expect(code).toBe(0);
    const list = JSON.parse(stdout) as { apiVersion: string; kind: string; items: { kind: string }[] };
    expect(list.apiVersion).toBe("v1");
    expect(list.kind).toBe("List");
    expect(list.items.map((o) => o.kind)).toEqual([
      "NuclioProject",
      ...Array(2).fill("ConfigMap"),
      ...Array(2).fill("NuclioFunction"),
      "ConfigMap",
      "Deployment",
      "Service",
      "HorizontalPodAutoscaler",
      "PodDisruptionBudget",
    ]);
  });

  it("without a runtime image (--image or SLUICE_IMAGE) says to give one (exit 1)", async () => {
    const { code, stderr } = await sluice("deploy", "examples/enrichment/graph.yaml", "--dry-run");
    expect(code).toBe(1);
    expect(stderr).toContain("no runtime image");
    expect(stderr).toContain("hint: give it with --image <registry/sluice:tag>");
  });

  it("points a batch function at sluice run (exit 1)", async () => {
    const { code, stderr } = await sluice(
      "deploy",
      "examples/hub/batch-score/function.yaml",
      "--dry-run",
      ...image,
    );
    expect(code).toBe(1);
    expect(stderr).toBe(
      'sluice: function "batch-score": a job function is a batch run, not something deployed\nhint: run it with `sluice run examples/hub/batch-score/function.yaml`\n',
    );
  });

  it("refuses an unknown output format as a usage error (exit 2)", async () => {
    const { code, stderr } = await sluice(
      "deploy",
      "examples/enrichment/graph.yaml",
      "--dry-run",
      "-o",
      "xml",
      ...image,
    );
    expect(code).toBe(2);
    expect(stderr).toContain('-o must be yaml or json, got "xml"');
  });
});
