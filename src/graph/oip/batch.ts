/**
 * Infer requests joined into one batch along their first dimension, and a batch's outputs
 * split back per request: the pure half of a model step's `batching` (the queue is in
 * graph/build/batcher.ts). A row is one index of dimension 0, as in Triton's dynamic batcher.
 */
import { fail, quoted } from "./request.js";
import type { InferRequest, Tensor, TensorElement } from "./types.js";

/**
 * How many rows a request holds: dimension 0 of its inputs, which must all agree. Undefined
 * when the request has no batch dimension (a scalar input, or inputs of different lengths):
 * such a request is run on its own.
 */
export function rowsOf(request: InferRequest): number | undefined {
  // A scalar first input makes `rows` undefined, and the answer with it.
  const rows = request.inputs[0]?.shape[0];
  for (const input of request.inputs) if (input.shape[0] !== rows) return undefined;
  return rows;
}

/**
 * What requests must share to be batched: input names, datatypes and shapes past dimension 0
 * (in order), tensor and request parameters, and the outputs asked for. The model then sees
 * exactly the parameters each of its requests sent, as it would unbatched.
 */
export function batchKey(request: InferRequest): string {
  let key = "";
  for (const input of request.inputs) {
    key += `${input.name}\u0000${input.datatype}\u0000${input.shape.slice(1).join(",")}\u0000`;
    if (input.parameters !== undefined) key += JSON.stringify(input.parameters);
    key += "\u0001";
  }
  if (request.parameters !== undefined) key += `p${JSON.stringify(request.parameters)}`;
  if (request.outputs !== undefined) key += `o${JSON.stringify(request.outputs)}`;
  return key;
}

/**
 * One request of the given requests' rows in order: every input's data concatenated along
 * dimension 0. The requests must share a `batchKey`; the result has no `id` (it is nobody's).
 */
export function concatRequests(requests: readonly InferRequest[], rows: number): InferRequest {
  const first = requests[0] as InferRequest;
  const inputs = first.inputs.map((input, i): Tensor => {
    const data: TensorElement[] = [];
    for (const request of requests) {
      const part = (request.inputs[i] as Tensor).data;
      for (let j = 0; j < part.length; j++) data.push(part[j] as TensorElement);
    }
    const tensor: Tensor = {
      name: input.name,
      shape: [rows, ...input.shape.slice(1)],
      datatype: input.datatype,
      data,
    };
    if (input.parameters !== undefined) tensor.parameters = input.parameters;
    return tensor;
  });
  const batch = { inputs } as InferRequest;
  if (first.parameters !== undefined) batch.parameters = first.parameters;
  if (first.outputs !== undefined) batch.outputs = first.outputs;
  return batch;
}

/**
 * Splits a batch's output tensors along dimension 0: request i gets `rows[i]` rows of every
 * output, in order. An output whose dimension 0 is not the batch's total rows cannot be split:
 * the model broke the batching contract (one output row per input row), a 500.
 */
export function splitOutputs(outputs: readonly Tensor[], rows: readonly number[], model: string): Tensor[][] {
  let total = 0;
  for (const r of rows) total += r;
  for (const output of outputs) {
    if (output.shape[0] !== total) {
      fail(
        "SLUICE_ERR_STEP_FAILED",
        `model "${model}" batches requests, but its output ${quoted(output.name)} has shape ${JSON.stringify(output.shape)} for a batch of ${total} rows (${rows.length} requests): a batched predict must return one row per input row along dimension 0`,
      );
    }
  }
  const parts: Tensor[][] = rows.map(() => []);
  for (const output of outputs) {
    const rest = output.shape.slice(1);
    let perRow = 1;
    for (const dim of rest) perRow *= dim;
    let offset = 0;
    rows.forEach((r, i) => {
      const tensor: Tensor = {
        name: output.name,
        shape: [r, ...rest],
        datatype: output.datatype,
        data: output.data.slice(offset * perRow, (offset + r) * perRow),
      };
      if (output.parameters !== undefined) tensor.parameters = output.parameters;
      (parts[i] as Tensor[]).push(tensor);
      offset += r;
    });
  }
  return parts;
}
