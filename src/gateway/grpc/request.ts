import { isUtf8 } from "node:buffer";
import { SluiceError } from "../../errors.js";
import {
  type BytesOrigin,
  CALLER_INPUTS,
  type Datatype,
  decodeTensorData,
  elementCount,
  type InferRequest,
  parseDatatype,
  parseInferRequest,
  parseShape,
  type TensorData,
  type TensorElement,
} from "../../graph/oip/index.js";
import {
  CONTENTS_FIELD,
  type InferTensor,
  type InferTensorContents,
  type ModelInferRequest,
} from "./messages.js";
import { fromInferParameters, int64Element } from "./parameters.js";

const code = "SLUICE_ERR_INPUT";

function fail(message: string): never {
  throw new SluiceError(code, message);
}

/**
 * A `ModelInferRequest` as the infer request the HTTP data plane builds from its JSON, checked
 * by the same `parseInferRequest`: each input's data comes from its typed contents, or from
 * its entry of `raw_input_contents` (little-endian elements, BYTES elements each after a
 * 4-byte little-endian length), which must then hold one entry per input, in order. Every
 * mistake is a `SLUICE_ERR_INPUT` (INVALID_ARGUMENT) that names the input and the field.
 */
export function toInferRequest(message: ModelInferRequest): InferRequest {
  const inputs = message.inputs ?? [];
  const raw = message.raw_input_contents;
  if (raw !== undefined && raw.length !== inputs.length) {
    fail(
      `raw_input_contents has ${raw.length} entries but the request has ${inputs.length} inputs: with raw contents, every input has its entry, in the order of "inputs"`,
    );
  }
  const body: Record<string, unknown> = {};
  if (message.id) body.id = message.id;
  if (message.parameters) body.parameters = fromInferParameters(message.parameters);
  body.inputs = inputs.map((input, index) => inputOf(input, index, raw?.[index]));
  if (message.outputs && message.outputs.length > 0) {
    body.outputs = message.outputs.map(({ name, parameters }) =>
      parameters ? { name, parameters: fromInferParameters(parameters) } : { name },
    );
  }
  return parseInferRequest(body);
}

/** An input as the JSON protocol's tensor `{name, shape, datatype, parameters?, data}`. */
function inputOf(input: InferTensor, index: number, raw: Buffer | undefined): Record<string, unknown> {
  const { name } = input;
  const subject = name ? CALLER_INPUTS.named(name) : CALLER_INPUTS.unnamed(index);
  // int64 dimensions arrive as decimal strings; parseShape names a negative or fractional one.
  const shape = parseShape(input.shape?.map(Number) ?? [], subject, code);
  const datatype = parseDatatype(input.datatype, subject, code);
  const count = elementCount(shape);
  const data =
    raw === undefined
      ? typedData(input.contents, datatype, count, subject)
      : rawData(input.contents, raw, index, datatype, count, subject);
  const tensor: Record<string, unknown> = { name, shape, datatype, data };
  if (input.parameters) tensor.parameters = fromInferParameters(input.parameters);
  return tensor;
}

function rawData(
  contents: InferTensorContents | undefined,
  raw: Buffer,
  index: number,
  datatype: Datatype,
  count: number,
  subject: string,
): TensorData {
  const typed = setFields(contents);
  if (typed.length > 0) {
    fail(`${subject} has both contents.${typed[0]} and raw_input_contents[${index}]; send its data one way`);
  }
  return decodeTensorData(raw, datatype, count, subject, CALLER_INPUTS, rawOrigin(index));
}

/** Names a raw entry in the messages decodeTensorData writes. */
function rawOrigin(index: number): BytesOrigin {
  return {
    sizeIs: (bytes) => `raw_input_contents[${index}] has ${bytes} bytes`,
    within: `raw_input_contents[${index}]`,
  };
}

function typedData(
  contents: InferTensorContents | undefined,
  datatype: Datatype,
  count: number,
  subject: string,
): TensorElement[] {
  const field = CONTENTS_FIELD[datatype];
  if (field === undefined) {
    fail(
      `${subject}: ${datatype} has no typed contents field in the protocol; send it in raw_input_contents`,
    );
  }
  const other = setFields(contents).find((f) => f !== field);
  if (other !== undefined) {
    fail(`${subject} is ${datatype}, so its data goes in contents.${field}, not contents.${other}`);
  }
  const values = (contents?.[field] ?? []) as TensorElement[];
  if (values.length !== count) {
    const needs = count === 1 ? "1 element" : `${count} elements`;
    fail(
      `${subject}: contents.${field} has ${values.length} elements but its shape needs ${needs}${values.length === 0 ? " (or send it in raw_input_contents)" : ""}`,
    );
  }
  if (field === "int64_contents" || field === "uint64_contents") {
    return (values as (string | number)[]).map(int64Element);
  }
  if (field === "bytes_contents") return (values as Buffer[]).map(bytesElement);
  return values;
}

/**
 * A BYTES element as the binary extension decodes one: UTF-8 text as the string models expect,
 * other bytes kept as they are (copied, so the element does not pin the whole message).
 */
function bytesElement(bytes: Buffer): string | Buffer {
  return isUtf8(bytes) ? bytes.toString("utf8") : Buffer.from(bytes);
}

/** The typed-contents fields that hold data. */
function setFields(contents: InferTensorContents | undefined): (keyof InferTensorContents)[] {
  if (contents === undefined) return [];
  return (Object.keys(contents) as (keyof InferTensorContents)[]).filter(
    (field) => (contents[field]?.length ?? 0) > 0,
  );
}
