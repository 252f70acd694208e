/**
 * Tensor data as typed arrays: what a big tensor costs no more than its bytes. A tensor sent
 * with the binary extension arrives as a view on the request's bytes (copied once only when
 * its offset is not a multiple of its element size, which a typed array requires); a typed
 * array a model returns is sent as its own bytes. No element is read or written one by one.
 *
 * The arrays handed out are subclasses that serialise to JSON as arrays (`toJSON`): a tensor
 * that reaches a JSON answer, a remote step or a stream is written `[1.5, 2]`, as if its data
 * were elements, where a plain typed array would be written `{"0": 1.5, "1": 2}`.
 */
import { endianness } from "node:os";
import type { Datatype, TensorArray, TensorData } from "./types.js";

/** What a typed array class offers that is used here. */
interface ArrayClass {
  new (length: number): TensorArray;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TensorArray;
  new (values: ArrayLike<number>): TensorArray;
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
}

/** `Base` with `toJSON`; named as `Base` is, so that a model's log shows `Float32Array(4)`. */
function jsonAsArray(Base: ArrayClass): ArrayClass {
  const Json = class extends (Base as unknown as Float32ArrayConstructor) {
    toJSON(): number[] {
      return Array.from(this);
    }
  };
  Object.defineProperty(Json, "name", { value: Base.name });
  return Json as unknown as ArrayClass;
}

/** The typed array of each datatype that has one: its plain class, and the one handed out. */
const ARRAYS: Partial<Record<Datatype, { plain: ArrayClass; json: ArrayClass }>> = {};
for (const [datatype, plain] of [
  ["FP32", Float32Array],
  ["FP64", Float64Array],
  ["INT8", Int8Array],
  ["INT16", Int16Array],
  ["INT32", Int32Array],
  ["UINT8", Uint8Array],
  ["UINT16", Uint16Array],
  ["UINT32", Uint32Array],
] as const) {
  ARRAYS[datatype] = {
    plain: plain as unknown as ArrayClass,
    json: jsonAsArray(plain as unknown as ArrayClass),
  };
}

/** The wire's elements are little-endian; a typed array holds the host's order. */
const LITTLE_ENDIAN_HOST = endianness() === "LE";

/**
 * `bytes` (exactly `count` elements of `datatype`, little-endian) as a typed array: a view on
 * them when their offset suits the element size, else a copy made in one go. Undefined when the
 * datatype has no typed array, or on a big-endian host (the caller then reads element by element).
 */
export function viewOfBytes(bytes: Buffer, datatype: Datatype): TensorArray | undefined {
  const array = ARRAYS[datatype]?.json;
  if (array === undefined || !LITTLE_ENDIAN_HOST) return undefined;
  const size = array.BYTES_PER_ELEMENT;
  const count = bytes.length / size;
  if (bytes.byteOffset % size === 0) return new array(bytes.buffer, bytes.byteOffset, count);
  const copy = new array(count);
  new Uint8Array(copy.buffer, 0, bytes.length).set(bytes);
  return copy;
}

/**
 * `data` as the typed array handed out, when it is a typed array of `datatype`'s own kind (a
 * model's Float32Array for FP32): the same memory, never copied. Undefined for anything else
 * (an array, or a typed array of another kind, which the caller checks element by element).
 */
export function tensorArrayOf(data: unknown, datatype: Datatype): TensorArray | undefined {
  const arrays = ARRAYS[datatype];
  if (arrays === undefined || !(data instanceof arrays.plain)) return undefined;
  const typed = data as TensorArray;
  return typed.constructor === arrays.json
    ? typed
    : new arrays.json(typed.buffer, typed.byteOffset, typed.length);
}

/**
 * The little-endian bytes of `data` (valid elements of `datatype`) without an element-by-element
 * loop: a typed array's own memory (no copy), or an element array converted in one go. Undefined
 * when the datatype has no typed array, or on a big-endian host.
 */
export function bytesOfData(data: TensorData, datatype: Datatype): Buffer | undefined {
  const arrays = ARRAYS[datatype];
  if (arrays === undefined || !LITTLE_ENDIAN_HOST) return undefined;
  const typed =
    data instanceof arrays.plain ? (data as TensorArray) : new arrays.plain(data as ArrayLike<number>);
  return Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength);
}
