import { setTimeout as sleep } from "node:timers/promises";
import { Watch } from "@kubernetes/client-node";
import type { Cluster, ClusterObject, ListOptions } from "./client.js";
import { clusterError } from "./errors.js";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

export interface WatchQuery extends ListOptions {
  apiVersion: string;
  kind: string;
  /** Ask the server to end each watch request after this long (it then resumes); for tests and proxies. */
  timeoutSeconds?: number;
}

/** A running watch: `stop()` ends it; `reconnects` counts resumed connections. */
export interface Watcher {
  stop(): void;
  /** Settles when the watch has stopped; rejects when it cannot go on (e.g. access denied). */
  readonly closed: Promise<void>;
  readonly reconnects: number;
}

/** How long to wait before reconnecting after a failed watch request, doubling up to `maxBackoffMs`. */
const firstBackoffMs = 200;
const maxBackoffMs = 5_000;

/**
 * List-then-watch with resume, as client-go's reflector does: the handler first sees every
 * current object as ADDED, then each change. When the connection is cut (a proxy, a server
 * restart, the server's own watch timeout) it resumes from the last resourceVersion it saw,
 * so no change is missed; when that version is too old (410 Gone) it lists again and reports
 * what changed meanwhile. A 401/403 or an unknown kind stops the watch with the error.
 */
export function watchObjects<T extends ClusterObject>(
  cluster: Cluster,
  query: WatchQuery,
  handler: (type: WatchEventType, object: T) => void,
): Watcher {
  const watch = new Watch(cluster.config);
  let stopped = false;
  let reconnects = 0;
  let current: AbortController | undefined;
  let wake: (() => void) | undefined;
  const known = new Map<string, T>();

  const keyOf = (o: T) => `${o.metadata.namespace ?? ""}/${o.metadata.name}`;
  const emit = (type: WatchEventType, object: T) => {
    if (type === "DELETED") known.delete(keyOf(object));
    else known.set(keyOf(object), object);
    handler(type, object);
  };

  /** Lists, reporting what is new, changed or gone since what the handler last saw. */
  const relist = async (): Promise<string> => {
    const listing = await cluster.list<T>(query.apiVersion, query.kind, query);
    const seen = new Set<string>();
    for (const item of listing.items) {
      seen.add(keyOf(item));
      const before = known.get(keyOf(item));
      if (!before) emit("ADDED", item);
      else if (before.metadata.resourceVersion !== item.metadata.resourceVersion) emit("MODIFIED", item);
    }
    for (const [key, object] of [...known]) if (!seen.has(key)) emit("DELETED", object);
    return listing.resourceVersion;
  };

  /** One watch request: resolves with the last resourceVersion seen, or "" after a 410. */
  const watchFrom = async (path: string, resourceVersion: string): Promise<string> => {
    let last = resourceVersion;
    let gone = false;
    await new Promise<void>((resolve, reject) => {
      const params = {
        resourceVersion,
        allowWatchBookmarks: true,
        labelSelector: query.labelSelector,
        fieldSelector: query.fieldSelector,
        timeoutSeconds: query.timeoutSeconds,
      };
      watch
        .watch(
          path,
          params,
          (type: string, object: T & { code?: number }) => {
            if (type === "ERROR") {
              if (object.code === 410) gone = true;
              return;
            }
            last = object.metadata?.resourceVersion ?? last;
            if (type === "BOOKMARK") return;
            if (type === "ADDED" || type === "MODIFIED" || type === "DELETED") emit(type, object);
          },
          (error: unknown) => {
            const status = (error as { statusCode?: number } | null)?.statusCode;
            if (status === 410) gone = true;
            if (status === 401 || status === 403) {
              reject(
                Object.assign(new Error(String(status)), {
                  code: status,
                  body: { message: `watch ${path} was refused` },
                }),
              );
              return;
            }
            resolve();
          },
        )
        .then((controller) => {
          current = controller;
          if (stopped) controller.abort();
        }, reject);
    });
    return gone ? "" : last;
  };

  const run = async () => {
    const path = await cluster.collectionPath(query.apiVersion, query.kind, query.namespace);
    let version = await relist();
    let backoff = firstBackoffMs;
    while (!stopped) {
      const started = Date.now();
      try {
        version = await watchFrom(path, version);
        if (stopped) break;
        if (version === "") version = await relist();
      } catch (error) {
        if ((error as { code?: unknown }).code === 401 || (error as { code?: unknown }).code === 403) {
          throw clusterError(
            error,
            { verb: "watch", kind: query.kind, ...(query.namespace ? { namespace: query.namespace } : {}) },
            cluster.server,
          );
        }
      }
      if (stopped) break;
      reconnects++;
      // A watch that lasted a while was healthy: resume at once. One that failed fast backs off.
      if (Date.now() - started > 2_000) backoff = firstBackoffMs;
      else {
        await new Promise<void>((resolve) => {
          wake = resolve;
          void sleep(backoff).then(resolve);
        });
        backoff = Math.min(backoff * 2, maxBackoffMs);
      }
    }
  };

  const closed = run();
  return {
    stop() {
      stopped = true;
      current?.abort();
      wake?.();
    },
    closed,
    get reconnects() {
      return reconnects;
    },
  };
}

/**
 * Watches one object until `done` says it is finished, returning the object as it was then.
 * Rejects on timeout with the object's last state in the error, so callers can say why.
 */
export async function waitForObject<T extends ClusterObject>(
  cluster: Cluster,
  ref: { apiVersion: string; kind: string; name: string; namespace?: string },
  done: (object: T) => boolean,
  options: { timeoutMs: number; signal?: AbortSignal; onChange?: (object: T) => void },
): Promise<{ object: T | undefined; timedOut: boolean }> {
  let latest: T | undefined;
  let finish: (timedOut: boolean) => void = () => {};
  const finished = new Promise<boolean>((resolve) => {
    finish = resolve;
  });
  const watcher = watchObjects<T>(
    cluster,
    {
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      fieldSelector: `metadata.name=${ref.name}`,
      ...(ref.namespace ? { namespace: ref.namespace } : {}),
    },
    (type, object) => {
      if (type === "DELETED") return;
      latest = object;
      options.onChange?.(object);
      if (done(object)) finish(false);
    },
  );
  const timer = setTimeout(() => finish(true), options.timeoutMs);
  const onAbort = () => finish(true);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const timedOut = await Promise.race([finished, watcher.closed.then(() => true)]);
    return { object: latest, timedOut };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
    watcher.stop();
    await watcher.closed.catch(() => {});
  }
}
