import { fail, isRecord, quoted } from "./request.js";
import type { InferRequest, TensorMetadata } from "./types.js";

/**
 * Checks a (parsed) infer request against the inputs a model declares in its metadata:
 * every declared input present, no other, each with the declared datatype and a shape that
 * matches (`-1` matches any size). Mistakes are 400s quoting the caller's own values, before
 * any step runs. A model that declares no inputs accepts any.
 */
export function checkDeclaredInputs(
  request: InferRequest,
  declared: readonly TensorMetadata[],
  model: string,
): void {
  if (declared.length === 0) return;
  const code = "SLUICE_ERR_INPUT";
  for (const input of request.inputs) {
    const spec = declared.find((d) => d.name === input.name);
    if (!spec) {
      const names = declared.map((d) => quoted(d.name)).join(", ");
      fail(code, `input ${quoted(input.name)} is not an input of model "${model}" (its inputs: ${names})`);
    }
    if (input.datatype !== spec.datatype) {
      fail(code, `input ${quoted(input.name)}: datatype ${input.datatype} does not match ${spec.datatype}`);
    }
    if (!shapeMatches(input.shape, spec.shape)) {
      fail(
        code,
        `input ${quoted(input.name)}: shape ${JSON.stringify(input.shape)} does not match ${JSON.stringify(spec.shape)}`,
      );
    }
  }
  if (request.inputs.length < declared.length) {
    const sent = new Set(request.inputs.map((i) => i.name));
    const missing = declared.filter((d) => !sent.has(d.name)).map((d) => quoted(d.name));
    fail(code, `model "${model}" needs input${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`);
  }
}

function shapeMatches(shape: readonly number[], declared: readonly number[]): boolean {
  if (shape.length !== declared.length) return false;
  for (let i = 0; i < shape.length; i++) if (declared[i] !== -1 && declared[i] !== shape[i]) return false;
  return true;
}

/**
 * A model's declared inputs, read from its `metadata()` once and kept; an answer that is not
 * a list of `{name, datatype, shape}` (or a metadata() that throws) declares nothing.
 */
export function declaredInputsOf(metadata: () => { inputs?: unknown }): TensorMetadata[] {
  let inputs: unknown;
  try {
    inputs = metadata().inputs;
  } catch {
    // A metadata() that throws leaves `inputs` undefined: nothing declared.
  }
  if (!Array.isArray(inputs)) return [];
  const ok = inputs.every(
    (i) =>
      isRecord(i) &&
      typeof i.name === "string" &&
      typeof i.datatype === "string" &&
      Array.isArray(i.shape) &&
      i.shape.every((d) => Number.isInteger(d)),
  );
  return ok ? (inputs as TensorMetadata[]) : [];
}
