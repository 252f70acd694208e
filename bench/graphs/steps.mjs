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
 * The echo model after a fixed amount of arithmetic per call (`iterations` of a
 * linear-congruential step, about 65 µs of CPU at 3,000 on the Intel bench machine): a model that
 * does some work, for figures such as monitoring's whose cost is per request, to be read
 * beside the trivial model's. CPU, not wall-clock, so two servers sharing a core pay alike.
 */
export class WorkModel {
  constructor({ iterations = 3000 } = {}) {
    this.iterations = iterations;
  }
  predict(inputs) {
    let x = 1;
    for (let i = 0; i < this.iterations; i++) x = (x * 1103515245 + 12345) % 2147483647;
    // Never true: keeps the loop from being optimised away.
    if (x < 0) throw new Error("unreachable");
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
