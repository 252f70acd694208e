import type { KubeObject } from "../render/objects.js";
import type { Cluster, ClusterObject } from "./client.js";
import { hasReadiness, type Readiness, readinessOf } from "./readiness.js";
import { watchObjects } from "./watch.js";

export interface WaitResult {
  object: KubeObject;
  readiness: Readiness;
}

/**
 * Follows the objects that have a readiness (NuclioFunctions, Deployments, Jobs and the
 * operators' CRDs) until each is ready or failed, or the time is up; one watch per kind.
 * Resolves with every object's last readiness: the caller tells which failed or stayed pending.
 * A failed object stops the wait at once, so `--wait` reports it without waiting out the rest.
 */
export async function waitUntilReady(
  cluster: Cluster,
  objects: readonly KubeObject[],
  options: { timeoutMs: number; signal?: AbortSignal; onChange?: (result: WaitResult) => void },
): Promise<WaitResult[]> {
  const followed = objects.filter((o) => hasReadiness(o.kind));
  const key = (o: { kind: string; metadata: { name: string; namespace?: string } }) =>
    `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
  const results = new Map<string, WaitResult>(
    followed.map((object) => [
      key(object),
      { object, readiness: { state: "pending", reason: "not seen yet" } },
    ]),
  );
  if (followed.length === 0) return [];

  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const settle = () => {
    const all = [...results.values()];
    if (all.some((r) => r.readiness.state === "failed") || all.every((r) => r.readiness.state === "ready"))
      finish();
  };
  const kinds = new Map<string, { apiVersion: string; kind: string; namespace?: string }>();
  for (const o of followed) {
    kinds.set(`${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ""}`, {
      apiVersion: o.apiVersion,
      kind: o.kind,
      ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
    });
  }
  const watchers = [...kinds.values()].map((query) =>
    watchObjects<ClusterObject>(cluster, query, (type, live) => {
      const result = results.get(key(live));
      if (!result || type === "DELETED") return;
      const readiness = readinessOf(live);
      if (readiness.state === result.readiness.state && readiness.reason === result.readiness.reason) return;
      result.readiness = readiness;
      options.onChange?.(result);
      settle();
    }),
  );
  const timer = setTimeout(finish, options.timeoutMs);
  options.signal?.addEventListener("abort", finish, { once: true });
  try {
    await Promise.race([finished, ...watchers.map((w) => w.closed)]);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", finish);
    for (const w of watchers) w.stop();
    await Promise.all(watchers.map((w) => w.closed.catch(() => {})));
  }
  // A watch that stopped on its own failed (access denied): let its error through.
  for (const w of watchers) await w.closed;
  return [...results.values()];
}
