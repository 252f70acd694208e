import { SluiceError } from "../errors.js";

/**
 * Bounds one part of starting a graph (loading its modules, a class `init()`, a model
 * `load()`): user code that never settles must not leave `serve`, `validate` or
 * `POST /api/graphs` waiting forever. The error says what was still awaited when time ran out.
 * @throws SluiceError (SLUICE_ERR_GRAPH_LOAD) naming `what` and `waitingOn()` after `ms`.
 */
export function withStartDeadline<T>(
  work: Promise<T>,
  ms: number,
  what: string,
  waitingOn: () => string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new SluiceError(
          "SLUICE_ERR_GRAPH_LOAD",
          `${what} did not start within ${ms} ms (--start-timeout): still waiting on ${waitingOn()}`,
        ),
      );
    }, ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
