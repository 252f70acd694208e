import { SluiceError } from "./errors.js";

/**
 * A dependency imported only once something needs it: `sluice serve` should not carry the
 * memory of a CEL engine, an HTTP client or a broker client that none of its graphs uses.
 * `load()` imports it (once; concurrent calls share the import); `get()` hands it to code that
 * cannot await, such as a graph's synchronous compile, after something awaited `load()`.
 */
export interface LazyModule<T> {
  load(): Promise<T>;
  /** @throws SluiceError (SLUICE_ERR_INTERNAL) when `load()` has not finished: a bug in sluice. */
  get(): T;
}

/** `what` names the dependency in the error `get()` throws when it was not loaded first. */
export function lazyModule<T>(what: string, importer: () => Promise<T>): LazyModule<T> {
  let loaded: T | undefined;
  let loading: Promise<T> | undefined;
  return {
    load() {
      loading ??= importer().then((module) => {
        loaded = module;
        return module;
      });
      return loading;
    },
    get() {
      if (loaded === undefined) {
        throw new SluiceError("SLUICE_ERR_INTERNAL", `${what} was used before it was loaded`);
      }
      return loaded;
    },
  };
}
