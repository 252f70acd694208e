/**
 * Handles the messages of `source` concurrently, at most `limit` at a time: the loop stops
 * pulling while the limit is reached, so the client's own buffer (bounded by its pull or
 * subscription settings) absorbs a burst rather than our memory. Resolves once the source
 * has ended and every message taken from it has been handled; `handle` must not reject.
 */
export async function consumeBounded<M>(
  source: AsyncIterable<M>,
  limit: number,
  handle: (message: M) => Promise<void>,
): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  for await (const message of source) {
    const work = handle(message).finally(() => inFlight.delete(work));
    inFlight.add(work);
    if (inFlight.size >= limit) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}
