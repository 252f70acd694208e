import { createHash } from "node:crypto";
import { canonicalJson } from "../hash.js";

/**
 * What the control plane renders: plain Kubernetes objects, in the order they are applied.
 * Renderers are pure (no cluster, no clock, no randomness), so `--dry-run` prints exactly
 * what `sluice deploy` applies and golden files stay stable.
 */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** Labels every rendered object carries; `--delete` and pruning select by them. */
export const labels = {
  /** The graph an object belongs to (serving graphs). */
  graph: "sluice.io/graph",
  /** The function (group) an object belongs to: a step's function, the gateway, or a batch function. */
  function: "sluice.io/function",
  /** SHA-1 of the object's own content (without this label): same hash, no write. */
  hash: "sluice.io/hash",
  /** The run a batch object was created for (`sluice run`). */
  run: "sluice.io/run",
  /** Who manages the object, as the Kubernetes recommended labels say it. */
  managedBy: "app.kubernetes.io/managed-by",
} as const;

export const managerName = "sluice";

/** The content hash of a rendered object: SHA-1 of its canonical JSON without the hash label. */
export function objectHash(object: KubeObject): string {
  const { [labels.hash]: _ignored, ...rest } = object.metadata.labels ?? {};
  const content = { ...object, metadata: { ...object.metadata, labels: rest } };
  return createHash("sha1").update(canonicalJson(content)).digest("hex");
}

/** Returns the object with `sluice.io/hash` and `app.kubernetes.io/managed-by` set; call it last. */
export function stamped<T extends KubeObject>(object: T): T {
  const withManager = {
    ...object,
    metadata: { ...object.metadata, labels: { ...object.metadata.labels, [labels.managedBy]: managerName } },
  };
  return {
    ...withManager,
    metadata: {
      ...withManager.metadata,
      labels: { ...withManager.metadata.labels, [labels.hash]: objectHash(withManager) },
    },
  };
}

/** Options every renderer takes; the command line fills them from its flags and config. */
export interface RenderOptions {
  /** Target namespace; written into every namespaced object. */
  namespace: string;
  /** The image to run (the gateway/runtime image for graphs, the function's own image otherwise). */
  image?: string;
}
