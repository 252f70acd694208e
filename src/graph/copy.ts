/**
 * A shallow copy of `source` with `fields` set on it: what `{ ...source, ...fields }` says, for
 * copies made once per event.
 *
 * Object.assign rather than a spread: on Node 20 (V8 11.3) a spread copy that then gains a key
 * gets a hidden class of its own on every call, old-space garbage that makes a served process
 * grow for minutes until a full GC (bench/README.md, the memory soak). Node 24 does not.
 */
export function copyWith<T extends object, F extends object>(source: T, fields: F): Omit<T, keyof F> & F {
  return Object.assign({}, source, fields);
}
