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
  let running = 0;
  // The loop, waiting for a place (a race over every message in flight would cost a reaction
  // on each of them per message once the limit is reached).
  let freed: (() => void) | undefined;
  const done = (): void => {
    running--;
    const wake = freed;
    freed = undefined;
    wake?.();
  };
  const place = () => new Promise<void>((resolve) => (freed = resolve));
  for await (const message of source) {
    running++;
    void handle(message).finally(done);
    if (running >= limit) await place();
  }
  while (running > 0) await place();
}

/** What `consumeEagerly` tells its caller about each message, and asks of it. */
export interface EagerHooks<M> {
  /** A message arrived: from now on the caller keeps it alive until `handle` or `release` ends. */
  taken(message: M): void;
  /** True once the consumer is stopping: messages not started yet are released, not handled. */
  stopping(): boolean;
  /** A message that will not be handled here (the consumer stops): stop keeping it alive. */
  release(message: M): void;
}

/**
 * Like consumeBounded, at most `limit` messages handled at once, in arrival order, but every
 * message is taken from `source` the moment it arrives: a JetStream client buffers up to its
 * pull size ahead, and a message left in that buffer cannot be kept alive (`working()`), so it
 * would be redelivered, and run twice, while it still waits its turn. Taken here, the caller
 * keeps it alive. The source's own pull size bounds how many wait. Resolves once the source
 * ended and every message is handled or released; `handle` must not reject.
 */
export async function consumeEagerly<M>(
  source: AsyncIterable<M>,
  limit: number,
  handle: (message: M) => Promise<void>,
  hooks: EagerHooks<M>,
): Promise<void> {
  const waiting: M[] = [];
  let running = 0;
  let idle: (() => void) | undefined;
  const next = (): void => {
    while (running < limit && waiting.length > 0) {
      const message = waiting.shift() as M;
      if (hooks.stopping()) {
        hooks.release(message);
        continue;
      }
      running++;
      void handle(message).finally(done);
    }
    if (running === 0 && waiting.length === 0) idle?.();
  };
  const done = (): void => {
    running--;
    next();
  };
  for await (const message of source) {
    hooks.taken(message);
    waiting.push(message);
    next();
  }
  // The source ended (the consumer stops): what waits is released, what runs finishes.
  for (const message of waiting.splice(0)) hooks.release(message);
  if (running > 0) await new Promise<void>((resolve) => (idle = resolve));
}
