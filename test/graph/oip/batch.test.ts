import { describe, expect, it } from "vitest";
import { SluiceError } from "../../../src/errors.js";
import {
  batchKey,
  concatRequests,
  type InferRequest,
  rowsOf,
  splitOutputs,
  type Tensor,
} from "../../../src/graph/oip/index.js";

const x = (rows: number[][], extra: Partial<Tensor> = {}): Tensor => ({
  name: "x",
  shape: [rows.length, rows[0]?.length ?? 0],
  datatype: "FP64",
  data: rows.flat(),
  ...extra,
});

describe("rowsOf: a request's rows along dimension 0", () => {
  it("is dimension 0 when every input agrees on it", () => {
    const request: InferRequest = {
      inputs: [x([[1, 2]]), { name: "y", shape: [1], datatype: "BYTES", data: ["a"] }],
    };
    expect(rowsOf(request)).toBe(1);
    expect(rowsOf({ inputs: [x([[1], [2], [3]])] })).toBe(3);
  });

  it("is undefined for a scalar input or inputs of different lengths (such a request runs alone)", () => {
    expect(rowsOf({ inputs: [{ name: "s", shape: [], datatype: "FP64", data: [1] }] })).toBeUndefined();
    const uneven: InferRequest = {
      inputs: [x([[1], [2]]), { name: "y", shape: [1], datatype: "FP64", data: [1] }],
    };
    expect(rowsOf(uneven)).toBeUndefined();
  });
});

describe("batchKey: which requests may share a batch", () => {
  it("is the same for requests that differ only in their rows and id", () => {
    expect(batchKey({ id: "a", inputs: [x([[1, 2]])] })).toBe(
      batchKey({
        id: "b",
        inputs: [
          x([
            [3, 4],
            [5, 6],
          ]),
        ],
      }),
    );
  });

  it("differs with the datatype, the trailing shape, the names, the parameters or the outputs asked", () => {
    const base = batchKey({ inputs: [x([[1, 2]])] });
    const others: InferRequest[] = [
      { inputs: [x([[1, 2]], { datatype: "FP32" })] },
      { inputs: [x([[1, 2, 3]])] },
      { inputs: [x([[1, 2]], { name: "z" })] },
      { inputs: [x([[1, 2]], { parameters: { content_type: "np" } })] },
      { inputs: [x([[1, 2]])], parameters: { threshold: 0.5 } },
      { inputs: [x([[1, 2]])], outputs: [{ name: "label" }] },
    ];
    for (const other of others) expect(batchKey(other)).not.toBe(base);
  });

  it("differs between requests that both send parameters or outputs, when those differ", () => {
    const differing: [InferRequest, InferRequest][] = [
      [{ inputs: [x([[1]], { parameters: { a: 1 } })] }, { inputs: [x([[1]], { parameters: { a: 2 } })] }],
      [
        { inputs: [x([[1]])], parameters: { a: 1 } },
        { inputs: [x([[1]])], parameters: { a: 2 } },
      ],
      [
        { inputs: [x([[1]])], outputs: [{ name: "a" }] },
        { inputs: [x([[1]])], outputs: [{ name: "b" }] },
      ],
    ];
    for (const [one, other] of differing) expect(batchKey(one)).not.toBe(batchKey(other));
  });

  it("keeps shapes and inputs apart that would read alike run together", () => {
    const shaped = (shape: number[]): InferRequest => ({
      inputs: [{ name: "x", shape, datatype: "FP64", data: [] }],
    });
    // Past dimension 0: [1, 2] is not [12].
    expect(batchKey(shaped([0, 1, 2]))).not.toBe(batchKey(shaped([0, 12])));
    // A first input's parameters, then a second input, are not a second input named after them.
    const second: Tensor = { name: "b", shape: [1], datatype: "FP64", data: [1] };
    const withParameters: InferRequest = {
      inputs: [x([[1]], { name: "a", parameters: { p: 1 } }), second],
    };
    const namedAlike: InferRequest = { inputs: [x([[1]], { name: "a" }), { ...second, name: '{"p":1}b' }] };
    expect(batchKey(withParameters)).not.toBe(batchKey(namedAlike));
  });
});

describe("concatRequests and splitOutputs", () => {
  it("joins requests along dimension 0 in order, and splits the outputs back by each one's rows", () => {
    const a: InferRequest = { id: "a", inputs: [x([[1, 2]])], parameters: { p: 1 } };
    const b: InferRequest = {
      id: "b",
      inputs: [
        x([
          [3, 4],
          [5, 6],
        ]),
      ],
      parameters: { p: 1 },
    };
    const batch = concatRequests([a, b], 3);
    expect(batch).toEqual({
      inputs: [{ name: "x", shape: [3, 2], datatype: "FP64", data: [1, 2, 3, 4, 5, 6] }],
      parameters: { p: 1 },
    });
    // The requests themselves are not changed.
    expect(a.inputs[0]?.data).toEqual([1, 2]);
    const sums: Tensor = { name: "sum", shape: [3], datatype: "FP64", data: [3, 7, 11] };
    const both: Tensor = { name: "both", shape: [3, 2], datatype: "INT64", data: [1, 2, 3, 4, 5, 6] };
    expect(splitOutputs([sums, both], [1, 2], "m")).toEqual([
      [
        { name: "sum", shape: [1], datatype: "FP64", data: [3] },
        { name: "both", shape: [1, 2], datatype: "INT64", data: [1, 2] },
      ],
      [
        { name: "sum", shape: [2], datatype: "FP64", data: [7, 11] },
        { name: "both", shape: [2, 2], datatype: "INT64", data: [3, 4, 5, 6] },
      ],
    ]);
  });

  it("keeps each tensor's parameters and the outputs asked for, adding none where none were sent", () => {
    const tensor = x([[1]], { parameters: { content_type: "np" } });
    const asked = [{ name: "y" }];
    expect(
      concatRequests(
        [
          { inputs: [tensor], outputs: asked },
          { inputs: [tensor], outputs: asked },
        ],
        2,
      ),
    ).toStrictEqual({
      inputs: [{ ...tensor, shape: [2, 1], data: [1, 1] }],
      outputs: asked,
    });
    expect(concatRequests([{ inputs: [x([[1]])] }], 1)).toStrictEqual({ inputs: [x([[1]])] });
    const y: Tensor = { name: "y", shape: [2], datatype: "FP64", data: [1, 2], parameters: { unit: "m" } };
    const plain: Tensor = { name: "z", shape: [2], datatype: "FP64", data: [3, 4] };
    expect(splitOutputs([y, plain], [1, 1], "m")).toStrictEqual([
      [
        { name: "y", shape: [1], datatype: "FP64", data: [1], parameters: { unit: "m" } },
        { name: "z", shape: [1], datatype: "FP64", data: [3] },
      ],
      [
        { name: "y", shape: [1], datatype: "FP64", data: [2], parameters: { unit: "m" } },
        { name: "z", shape: [1], datatype: "FP64", data: [4] },
      ],
    ]);
  });

  it("refuses to split an output whose dimension 0 is not the batch's rows, naming the model and the output", () => {
    const one: Tensor = { name: "total", shape: [1], datatype: "FP64", data: [21] };
    let error: unknown;
    try {
      splitOutputs([one], [1, 2], "summer");
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(SluiceError);
    expect((error as SluiceError).status).toBe(500);
    expect((error as SluiceError).message).toBe(
      'model "summer" batches requests, but its output "total" has shape [1] for a batch of 3 rows (2 requests): a batched predict must return one row per input row along dimension 0',
    );
  });
});
