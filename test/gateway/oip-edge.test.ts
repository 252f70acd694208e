import { describe, expect, it } from "vitest";
import { postJson, testGateway } from "../helpers/gateway.js";

const url = (gw: { url: string }) => `${gw.url}/v2/models/features/infer`;
const features = (shape: number[], data: unknown, datatype = "FP32") => ({
  inputs: [{ name: "features", shape, datatype, data }],
});

describe("OIP requests are checked at the edge, before any step", () => {
  it("answers 400 (not 500) to bodies that are not infer requests, before a pre-processing step sees them", async () => {
    const gw = await testGateway(["declared.yaml"]);
    const bodies: [string, string][] = [
      ["{}", '"inputs" must be a non-empty array'],
      ['{"inputs":"x"}', '"inputs" must be a non-empty array'],
      ["", "the request body must be a JSON object"],
      ['{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP32","data":null}]}', '"data"'],
      [
        '{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP32","data":["a","b","c","d"]}]}',
        "element 0",
      ],
    ];
    for (const [body, message] of bodies) {
      const answer = await postJson(url(gw), body);
      expect({ body, status: answer.status }).toEqual({ body, status: 400 });
      expect((answer.body as { error: string }).error).toContain(message);
    }
  });

  it("checks inputs against the model's declared metadata, quoting the caller's values", async () => {
    const gw = await testGateway(["declared.yaml"]);
    const cases: [unknown, string][] = [
      [features([1, 3], [1, 2, 3]), 'input "features": shape [1,3] does not match [-1,4]'],
      [features([4], [1, 2, 3, 4]), 'input "features": shape [4] does not match [-1,4]'],
      [features([1, 4], [1, 2, 3, 4], "FP64"), 'input "features": datatype FP64 does not match FP32'],
      [
        { inputs: [{ name: "other", shape: [1], datatype: "FP32", data: [1] }] },
        'input "other" is not an input of model "features"',
      ],
    ];
    for (const [body, message] of cases) {
      const answer = await postJson(url(gw), body);
      expect(answer.status).toBe(400);
      expect((answer.body as { error: string }).error).toContain(message);
    }
    const ok = await postJson(url(gw), features([2, 4], [1, 2, 3, 4, 5, 6, 7, 8]));
    expect(ok.status).toBe(200);
  });
});
