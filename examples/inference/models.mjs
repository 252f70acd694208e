// A tiny rule-based iris classifier with the model contract: load(), predict(inputs, request).
export class IrisClassifier {
  constructor(args) {
    this.labels = args.labels;
    this.petalCut = (args.petalCut ?? 2.5) * 10; // mm
  }

  async load() {
    // A real model would read weights here; readiness waits for this promise.
    this.loaded = true;
  }

  predict(inputs) {
    const features = inputs[0];
    const rows = features.data.length / 4;
    const classes = [];
    for (let row = 0; row < rows; row++) {
      const petalLength = features.data[row * 4 + 2];
      const petalWidth = features.data[row * 4 + 3];
      const index = petalLength < this.petalCut ? 0 : petalWidth < 17 ? 1 : 2;
      classes.push(this.labels[index]);
    }
    return [{ name: "class", shape: [rows], datatype: "BYTES", data: classes }];
  }

  metadata() {
    return {
      inputs: [{ name: "features", datatype: "FP32", shape: [-1, 4] }],
      outputs: [{ name: "class", datatype: "BYTES", shape: [-1] }],
    };
  }
}
