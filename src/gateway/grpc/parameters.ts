import type { Parameters } from "../../graph/oip/index.js";
import type { InferParameter, InferParameters } from "./messages.js";

/** A 64-bit integer from the wire (a decimal string): a number when exact, else the string. */
export function int64Element(value: string | number): number | string {
  if (typeof value === "number") return value;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : value;
}

/** The proto's parameter map as sluice's plain `parameters` (what the REST protocol carries). */
export function fromInferParameters(parameters: InferParameters): Parameters {
  const plain: Parameters = {};
  for (const key of Object.keys(parameters)) {
    const p = parameters[key] as InferParameter;
    if (p.bool_param !== undefined) plain[key] = p.bool_param;
    else if (p.string_param !== undefined) plain[key] = p.string_param;
    else if (p.double_param !== undefined) plain[key] = p.double_param;
    else if (p.int64_param !== undefined) plain[key] = int64Element(p.int64_param);
    else if (p.uint64_param !== undefined) plain[key] = int64Element(p.uint64_param);
  }
  return plain;
}

const INT64_MAX = 2n ** 63n - 1n;

/**
 * Plain `parameters` as the proto's map. Its values are scalars: an integer goes as
 * `int64_param`, another number as `double_param`, and anything that is not a boolean,
 * number or string (an object a step added) as `string_param` holding its JSON.
 */
export function toInferParameters(parameters: Parameters): InferParameters {
  const map: InferParameters = {};
  for (const key of Object.keys(parameters)) {
    const value = parameters[key];
    if (value === undefined) continue;
    if (typeof value === "boolean") map[key] = { bool_param: value };
    else if (typeof value === "string") map[key] = { string_param: value };
    else if (typeof value === "number") {
      map[key] = Number.isSafeInteger(value) ? { int64_param: value } : { double_param: value };
    } else if (typeof value === "bigint") {
      map[key] = value > INT64_MAX ? { uint64_param: value.toString() } : { int64_param: value.toString() };
    } else map[key] = { string_param: JSON.stringify(value) };
  }
  return map;
}
