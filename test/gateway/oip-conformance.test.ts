import { describe, expect, it } from "vitest";
import { getJson, postJson, testGateway } from "../helpers/gateway.js";
import { oipValidator } from "../helpers/oip-spec.js";

const infer = (data: number[]) => ({ inputs: [{ name: "x", shape: [data.length], datatype: "FP64", data }] });

describe("every OIP answer conforms to the protocol's schemas", () => {
  it("successes and errors of every endpoint, on a served model graph", async () => {
    const gw = await testGateway(["models.yaml"]);
    const cases: [string, Promise<{ status: number; body: unknown }>, number, string][] = [
      ["server metadata", getJson(`${gw.url}/v2`), 200, "metadata_server_response"],
      ["model metadata", getJson(`${gw.url}/v2/models/double`), 200, "metadata_model_response"],
      [
        "versioned metadata",
        getJson(`${gw.url}/v2/models/double/versions/v2`),
        200,
        "metadata_model_response",
      ],
      ["unknown model metadata", getJson(`${gw.url}/v2/models/nope`), 404, "metadata_model_error_response"],
      ["infer", postJson(`${gw.url}/v2/models/double/infer`, infer([1, 2])), 200, "inference_response"],
      [
        "infer with an id",
        postJson(`${gw.url}/v2/models/double/infer`, { ...infer([1]), id: "a" }),
        200,
        "inference_response",
      ],
      [
        "infer, bad body",
        postJson(`${gw.url}/v2/models/double/infer`, { inputs: "x" }),
        400,
        "inference_error_response",
      ],
      ["infer, bad JSON", postJson(`${gw.url}/v2/models/double/infer`, "{"), 400, "inference_error_response"],
      [
        "infer, unknown model",
        postJson(`${gw.url}/v2/models/nope/infer`, infer([1])),
        404,
        "inference_error_response",
      ],
      [
        "infer, wrong datatype",
        postJson(`${gw.url}/v2/models/double/infer`, {
          inputs: [{ name: "x", shape: [1], datatype: "INT8", data: [1] }],
        }),
        400,
        "inference_error_response",
      ],
      ["infer, wrong method", getJson(`${gw.url}/v2/models/double/infer`), 405, "inference_error_response"],
    ];
    for (const [what, answer, status, schema] of cases) {
      const { status: got, body } = await answer;
      expect({ what, status: got }).toEqual({ what, status });
      expect({ what, conforms: oipValidator(schema)(body) }).toEqual({ what, conforms: true });
      if (schema.endsWith("error_response"))
        expect(typeof (body as { error?: unknown }).error).toBe("string");
    }
  });
});
