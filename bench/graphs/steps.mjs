// Trivial steps and a trivial model: the bench measures the gateway's own cost, not the work.
export function identity(body) {
  return body;
}

/** An OIP model whose predict echoes its input tensors as outputs. */
export class EchoModel {
  predict(inputs) {
    return inputs;
  }
}

/**
 * A model whose predict costs a fixed time per call plus a time per row, spent on the CPU
 * (as an in-process model runs): what batching amortises. One score per input row.
 */
export class FixedCostModel {
  constructor({ fixedMs = 2, perRowUs = 10 } = {}) {
    this.fixedMs = fixedMs;
    this.perRowUs = perRowUs;
  }
  predict(inputs) {
    const rows = inputs[0].shape[0] ?? 1;
    const until = performance.now() + this.fixedMs + (rows * this.perRowUs) / 1000;
    while (performance.now() < until) {
      // busy: the cost of one call
    }
    return [{ name: "score", shape: [rows, 1], datatype: "FP32", data: new Array(rows).fill(0.5) }];
  }
}
