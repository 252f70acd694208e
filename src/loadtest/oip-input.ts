/**
 * `--oip-input name:FP32:1x4`: a request body of random tensors for an Open Inference
 * Protocol model, so a model can be loaded without writing its request by hand.
 */
import { SluiceError } from "../errors.js";
import {
  type Datatype,
  type InferRequest,
  isDatatype,
  type Tensor,
  type TensorElement,
} from "../graph/oip/index.js";

/** One input asked for on the command line. */
export interface OipInputSpec {
  name: string;
  datatype: Datatype;
  shape: number[];
}

/** More elements than this is a typing mistake, not a benchmark (the body would be ~100 MB). */
const MAX_ELEMENTS = 10_000_000;

/** Parses `name:DATATYPE:AxBxC` (the name may hold colons; the datatype is case-insensitive). */
export function parseOipInput(text: string): OipInputSpec {
  const usage = (why: string) =>
    new SluiceError("SLUICE_ERR_USAGE", `--oip-input "${text}": ${why}`, {
      hint: "write it as name:DATATYPE:shape, e.g. features:FP32:1x4",
    });
  const parts = text.split(":");
  if (parts.length < 3) throw usage("expected name:DATATYPE:shape");
  const shapeText = parts.pop() as string;
  const datatype = (parts.pop() as string).toUpperCase();
  const name = parts.join(":");
  if (name === "") throw usage("the input needs a name");
  if (!isDatatype(datatype)) throw usage(`unknown datatype "${datatype}"`);
  const shape = shapeText.split(/[x,]/).map(Number);
  if (shapeText === "" || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw usage(`the shape "${shapeText}" must be whole numbers ≥ 1 joined by x, e.g. 1x4`);
  }
  if (shape.reduce((a, b) => a * b, 1) > MAX_ELEMENTS) {
    throw usage(`the shape ${shapeText} has more than ${MAX_ELEMENTS.toLocaleString("en-US")} elements`);
  }
  return { name, datatype, shape };
}

/** Inclusive integer ranges; the 64-bit ones stay within what a JSON number holds exactly. */
const integerRanges: Partial<Record<Datatype, [number, number]>> = {
  UINT8: [0, 255],
  UINT16: [0, 65_535],
  UINT32: [0, 4_294_967_295],
  UINT64: [0, 4_294_967_295],
  INT8: [-128, 127],
  INT16: [-32_768, 32_767],
  INT32: [-2_147_483_648, 2_147_483_647],
  INT64: [-2_147_483_648, 2_147_483_647],
};

/** Significant digits a float keeps on the wire: more would only make the body longer. */
const floatDigits: Partial<Record<Datatype, number>> = { FP16: 3, BF16: 3, FP32: 6, FP64: 8 };

function element(datatype: Datatype, random: () => number): TensorElement {
  if (datatype === "BOOL") return random() < 0.5;
  if (datatype === "BYTES") return random().toString(36).slice(2, 10).padEnd(8, "0");
  const range = integerRanges[datatype];
  if (range) return range[0] + Math.floor(random() * (range[1] - range[0] + 1));
  return Number(random().toPrecision(floatDigits[datatype] ?? 6));
}

/** A tensor of the spec's shape filled with random values of its datatype (floats in [0, 1)). */
export function randomTensor(spec: OipInputSpec, random: () => number = Math.random): Tensor {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const data: TensorElement[] = new Array(count);
  for (let i = 0; i < count; i++) data[i] = element(spec.datatype, random);
  return { name: spec.name, shape: [...spec.shape], datatype: spec.datatype, data };
}

/** The infer request body `{inputs: [...]}`, generated once and sent with every request. */
export function oipRequestBody(specs: OipInputSpec[], random: () => number = Math.random): InferRequest {
  return { inputs: specs.map((spec) => randomTensor(spec, random)) };
}
