import { describe, expect, it } from "vitest";
import { isSluiceError } from "../../../src/errors.js";
import { configMapLimit, renderGraph } from "../../../src/runtimes/render/index.js";
import { flow, graphFolder, stepsModule } from "./helpers.js";

const options = { namespace: "ml", image: "reg/sluice-nuclio:1.0" };

/** The one line (and hint) a refusal gives, with its exit code. */
async function refusal(file: string, opts: Parameters<typeof renderGraph>[1] = options) {
  try {
    await renderGraph(file, opts);
  } catch (error) {
    if (!isSluiceError(error)) throw error;
    return { message: error.message, hint: error.hint, code: error.code, exitCode: error.exitCode };
  }
  throw new Error("rendered a graph that cannot be deployed");
}

describe("a graph that cannot be deployed says why, in one line naming the step and field", () => {
  it("refuses a queue with no broker, before rendering anything", async () => {
    const file = await graphFolder(
      flow(
        `    a: {handler: ./steps.mjs#a}\n    q: {kind: queue, stream: "kafka://orders", after: [a]}\n    b: {handler: ./steps.mjs#b, after: [q]}\n`,
      ),
    );
    const got = await refusal(file);
    expect(got.code).toBe("SLUICE_ERR_RENDER_INVALID");
    expect(got.exitCode).toBe(1);
    expect(got.message).toBe(
      `${file}: step "q", field stream: "kafka://orders" names no broker, and the graph has no kafka trigger to take it from`,
    );
    expect(got.message).not.toContain("\n");
  });

  it("refuses an in-process queue (no stream at all)", async () => {
    const file = await graphFolder(
      flow(
        `    a: {handler: ./steps.mjs#a}\n    q: {kind: queue, after: [a]}\n    b: {handler: ./steps.mjs#b, after: [q]}\n`,
      ),
    );
    expect((await refusal(file)).message).toContain(
      `step "q", field stream: a queue without a stream is in-process`,
    );
  });

  it("refuses a loopback broker, which inside the cluster is the pod itself", async () => {
    for (const stream of [
      "kafka://127.0.0.1:9092/orders",
      "kafka://localhost:9092/orders",
      "nats://127.0.0.1:4222/x",
    ]) {
      const file = await graphFolder(
        flow(`    a: {handler: ./steps.mjs#a}\n    q: {kind: queue, stream: "${stream}", after: [a]}\n`),
      );
      const got = await refusal(file);
      expect(got.message).toMatch(/step "q", field stream: the broker .* is a loopback address/);
      expect(got.hint).toContain("kafka.kafka.svc:9092");
    }
  });

  it("refuses a graph trigger on a loopback broker: the gateway runs it in the cluster", async () => {
    const file = await graphFolder(
      flow(
        `    a: {handler: ./steps.mjs#a}\n`,
        "  triggers:\n    - {kind: http}\n    - {kind: kafka, brokers: ['127.0.0.1:9092'], topics: [in], group: g}\n",
      ),
    );
    expect((await refusal(file)).message).toBe(
      `${file}: spec.triggers[1] (kafka), field brokers: the broker 127.0.0.1:9092 is a loopback address, which inside the cluster is the gateway's pod itself`,
    );
  });

  it("refuses a module outside the graph's folder", async () => {
    const file = await graphFolder(
      {
        "app/graph.yaml":
          "apiVersion: sluice/v1\nkind: Graph\nmetadata: {name: shop}\nspec:\n  steps:\n    a: {handler: ../shared/steps.mjs#a}\n",
        "shared/steps.mjs": stepsModule,
      },
      "app/graph.yaml",
    );
    const got = await refusal(file);
    expect(got.message).toMatch(
      /step "a", field handler: .*shared\/steps\.mjs is outside the graph's folder/,
    );
    expect(got.hint).toContain("--image");
  });

  it("refuses a module imported from outside the graph's folder, naming the importer", async () => {
    const file = await graphFolder(
      {
        "app/graph.yaml":
          "apiVersion: sluice/v1\nkind: Graph\nmetadata: {name: shop}\nspec:\n  steps:\n    a: {handler: ./steps.mjs#a}\n",
        "app/steps.mjs": `import { x } from "../lib/x.mjs";\nexport const a = (b) => ({ ...b, x });\n`,
        "lib/x.mjs": "export const x = 1;\n",
      },
      "app/graph.yaml",
    );
    expect((await refusal(file)).message).toMatch(
      /module steps\.mjs: .*lib\/x\.mjs is outside the graph's folder/,
    );
  });

  it("refuses a module whose name cannot be a ConfigMap key", async () => {
    const file = await graphFolder({
      ...flow(`    a: {handler: "./my steps.mjs#a"}\n`),
      "my steps.mjs": stepsModule,
    });
    expect((await refusal(file)).message).toContain(
      `function "a": the file my steps.mjs cannot be a ConfigMap key (letters, digits, '-', '_' and '.' only)`,
    );
  });

  it("refuses a missing module", async () => {
    const file = await graphFolder(flow(`    a: {handler: ./nowhere.mjs#a}\n`));
    expect((await refusal(file)).message).toMatch(
      /step "a", field handler: module \.\/nowhere\.mjs not found/,
    );
  });

  it("refuses without a runtime image, pointing at --image", async () => {
    const file = await graphFolder(flow(`    a: {handler: ./steps.mjs#a}\n`));
    const got = await refusal(file, { namespace: "ml" });
    expect(got.message).toContain("no runtime image");
    expect(got.hint).toBe("give it with --image <registry/sluice:tag>");
  });

  it("refuses code past a ConfigMap's 1 MiB, pointing at an image", async () => {
    const big = `export const a = (b) => b;\n// ${"x".repeat(configMapLimit)}\n`;
    const file = await graphFolder({ ...flow(`    a: {handler: ./big.mjs#a}\n`), "big.mjs": big });
    const got = await refusal(file);
    expect(got.message).toMatch(
      /function "a": the graph and its step modules take 1\.00 MiB, past the 1 MiB/,
    );
    expect(got.hint).toContain("--image");
  });

  it("refuses two functions whose Kubernetes names collide", async () => {
    const file = await graphFolder(
      flow(`    a_b: {handler: ./steps.mjs#a}\n    a.b: {handler: ./steps.mjs#b, after: [a_b]}\n`),
    );
    expect((await refusal(file)).message).toContain(
      `step "a.b": its function "a.b" and the function "a_b" both become "shop-a-b" as Kubernetes names`,
    );
  });

  it("refuses a function name too long for Nuclio's Service", async () => {
    const file = await graphFolder(flow(`    a: {handler: ./steps.mjs#a, function: ${"f".repeat(60)}}\n`));
    expect((await refusal(file)).message).toMatch(
      /step "a", field function: the function name .* is longer than 56/,
    );
  });

  it("reports an invalid document as the validator does", async () => {
    const file = await graphFolder(flow(`    a: {handler: ./steps.mjs#a, after: [ghost]}\n`));
    const got = await refusal(file);
    expect(got.code).toBe("SLUICE_ERR_GRAPH_INVALID");
    expect(got.message).toContain("ghost");
  });
});
