/**
 * Tensors compared by their elements: a tensor sent with the binary extension arrives as a
 * typed array (a Float32Array for FP32...), one sent as JSON as an array of the same values.
 */

/** `value` with every tensor's typed-array `data` (under `inputs` or `outputs`) read into an array. */
export function withElementArrays<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withElementArrays) as T;
  if (typeof value !== "object" || value === null) return value;
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const key of ["inputs", "outputs"]) {
    if (Array.isArray(copy[key])) copy[key] = (copy[key] as unknown[]).map(withElementArrays);
  }
  if (ArrayBuffer.isView(copy.data)) copy.data = Array.from(copy.data as unknown as ArrayLike<unknown>);
  return copy as T;
}
