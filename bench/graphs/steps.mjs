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
