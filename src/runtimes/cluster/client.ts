import type { KubeConfig } from "@kubernetes/client-node";
import { managerName } from "../render/objects.js";
import { type ClusterOptions, loadKubeConfig } from "./config.js";
import { type CallSite, clusterError } from "./errors.js";
import { ApiError, send } from "./transport.js";

/** Any Kubernetes object as the API server returns it. */
export interface ClusterObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** Names one object: its type and name (and namespace when the type is namespaced). */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/** A list's items and the resourceVersion to start a watch from. */
export interface Listing<T> {
  items: T[];
  resourceVersion: string;
}

export type Propagation = "Foreground" | "Background" | "Orphan";

interface ResourceInfo {
  /** The plural name in URLs, e.g. `deployments`. */
  name: string;
  namespaced: boolean;
}

/**
 * What the control plane needs from a Kubernetes API server: server-side apply under the
 * field manager `sluice`, merge patches, get, list, delete with propagation, and the
 * collection paths that watches use. Every failure is a SluiceError that says what was
 * refused and why (see errors.ts).
 */
export class Cluster {
  /** Discovery answers per apiVersion (`apps/v1`), as kubectl caches them. */
  readonly #resources = new Map<string, Map<string, ResourceInfo>>();

  private constructor(
    readonly config: KubeConfig,
    /** The kubeconfig context's namespace, else `default`. */
    readonly namespace: string,
  ) {}

  static connect(options: ClusterOptions | KubeConfig = {}): Cluster {
    const config = "makeApiClient" in options ? options : loadKubeConfig(options);
    const context = config.getContextObject(config.getCurrentContext());
    return new Cluster(config, context?.namespace ?? "default");
  }

  /** The API server's URL. */
  get server(): string {
    return this.config.getCurrentCluster()?.server ?? "";
  }

  async #call<T>(site: CallSite, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw clusterError(error, site, this.server);
    }
  }

  /** The resource behind a kind, from discovery; a kind the server does not serve is a 404. */
  async #resource(apiVersion: string, kind: string): Promise<ResourceInfo> {
    let known = this.#resources.get(apiVersion);
    if (!known?.has(kind)) {
      // A CRD installed since the last look shows up on a second discovery.
      const list = await send(
        this.config,
        "GET",
        apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`,
      ).catch((error: unknown) => {
        if (error instanceof ApiError && error.code === 404) return { status: 404, body: { resources: [] } };
        throw error;
      });
      const resources = (list.body as { resources?: (ResourceInfo & { kind: string })[] }).resources ?? [];
      known = new Map(resources.filter((r) => !r.name.includes("/")).map((r) => [r.kind, r]));
      this.#resources.set(apiVersion, known);
    }
    const resource = known.get(kind);
    if (!resource) {
      throw new ApiError(404, {
        message: `the API server does not serve ${kind} (${apiVersion})`,
        reason: "NotServed",
      });
    }
    return resource;
  }

  async #path(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name?: string,
  ): Promise<string> {
    const resource = await this.#resource(apiVersion, kind);
    const root = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const scope = resource.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
    return `${root}${scope}/${resource.name}${name === undefined ? "" : `/${encodeURIComponent(name)}`}`;
  }

  /** A namespaced object with no namespace goes to the context's namespace, as kubectl does. */
  #namespaceOf(namespace: string | undefined): string {
    return namespace ?? this.namespace;
  }

  /**
   * Server-side apply: the server merges the fields sluice sets and records `sluice` as their
   * manager. `force` takes over fields another manager set (what a redeploy should do).
   */
  apply<T extends ClusterObject>(object: T, options: { force?: boolean; dryRun?: boolean } = {}): Promise<T> {
    return this.#call(siteOf("apply", object), async () => {
      const path = await this.#path(
        object.apiVersion,
        object.kind,
        this.#namespaceOf(object.metadata.namespace),
        object.metadata.name,
      );
      const query = {
        fieldManager: managerName,
        force: String(options.force ?? true),
        ...(options.dryRun ? { dryRun: "All" } : {}),
      };
      const answer = await send(this.config, "PATCH", path, {
        query,
        body: object,
        contentType: "application/apply-patch+yaml",
      });
      return answer.body as T;
    });
  }

  /** A JSON merge patch (RFC 7386), e.g. to write the status of a CRD without a status subresource. */
  mergePatch<T extends ClusterObject>(ref: ObjectRef, patch: Record<string, unknown>): Promise<T> {
    return this.#call(siteOf("patch", ref), async () => {
      const path = await this.#path(ref.apiVersion, ref.kind, this.#namespaceOf(ref.namespace), ref.name);
      const answer = await send(this.config, "PATCH", path, {
        query: { fieldManager: managerName },
        body: patch,
        contentType: "application/merge-patch+json",
      });
      return answer.body as T;
    });
  }

  create<T extends ClusterObject>(object: T): Promise<T> {
    return this.#call(siteOf("create", object), async () => {
      const path = await this.#path(
        object.apiVersion,
        object.kind,
        this.#namespaceOf(object.metadata.namespace),
      );
      const answer = await send(this.config, "POST", path, {
        query: { fieldManager: managerName },
        body: object,
      });
      return answer.body as T;
    });
  }

  /** The object, or undefined when it does not exist. */
  get<T extends ClusterObject>(ref: ObjectRef): Promise<T | undefined> {
    return this.#call(siteOf("get", ref), async () => {
      const path = await this.#path(ref.apiVersion, ref.kind, this.#namespaceOf(ref.namespace), ref.name);
      const answer = await absentAsUndefined(send(this.config, "GET", path));
      return answer?.body as T | undefined;
    });
  }

  /** Every object of a kind (all pages), with the list's resourceVersion to watch from. */
  list<T extends ClusterObject>(
    apiVersion: string,
    kind: string,
    options: ListOptions = {},
  ): Promise<Listing<T>> {
    const site: CallSite = {
      verb: "list",
      kind,
      ...(options.namespace ? { namespace: options.namespace } : {}),
    };
    return this.#call(site, async () => {
      const path = await this.#path(apiVersion, kind, options.namespace);
      const items: T[] = [];
      let resourceVersion = "";
      let token: string | undefined;
      do {
        const query = {
          labelSelector: options.labelSelector,
          fieldSelector: options.fieldSelector,
          limit: "500",
          continue: token,
        };
        const page = (await send(this.config, "GET", path, { query })).body as {
          items: T[];
          metadata?: { resourceVersion?: string; continue?: string };
        };
        // A list's items lack apiVersion and kind; put them back so callers can hand them on.
        for (const item of page.items) items.push({ ...item, apiVersion, kind });
        resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
        token = page.metadata?.continue || undefined;
      } while (token);
      return { items, resourceVersion };
    });
  }

  /**
   * Deletes an object; true when it was there. `Foreground` waits for dependents (a Job's
   * pods) to go first, `Background` lets the garbage collector remove them after.
   */
  delete(ref: ObjectRef, propagation: Propagation = "Background"): Promise<boolean> {
    return this.#call(siteOf("delete", ref), async () => {
      const path = await this.#path(ref.apiVersion, ref.kind, this.#namespaceOf(ref.namespace), ref.name);
      const body = { apiVersion: "v1", kind: "DeleteOptions", propagationPolicy: propagation };
      return (await absentAsUndefined(send(this.config, "DELETE", path, { body }))) !== undefined;
    });
  }

  /** Whether the server serves a kind (its CRD is installed), from discovery; true when discovery cannot say. */
  async serves(apiVersion: string, kind: string): Promise<boolean> {
    try {
      await this.#resource(apiVersion, kind);
      return true;
    } catch (error) {
      return !(error instanceof ApiError && error.code === 404);
    }
  }

  /** The URL path of a kind's collection, for watches (resolved through discovery, then cached). */
  collectionPath(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    return this.#call({ verb: "watch", kind, ...(namespace ? { namespace } : {}) }, () =>
      this.#path(apiVersion, kind, namespace),
    );
  }
}

/** A 404 whose Status says the object is not there (not that its kind is unknown) becomes undefined. */
async function absentAsUndefined<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    const notThere =
      error instanceof ApiError &&
      error.code === 404 &&
      (error.body as { reason?: string } | undefined)?.reason === "NotFound";
    if (notThere) return undefined;
    throw error;
  }
}

function siteOf(verb: string, ref: ObjectRef | ClusterObject): CallSite {
  const name = "metadata" in ref ? ref.metadata.name : ref.name;
  const namespace = "metadata" in ref ? ref.metadata.namespace : ref.namespace;
  return { verb, kind: ref.kind, name, ...(namespace ? { namespace } : {}) };
}

/** `kind/namespace/name`: how progress lines and errors name an object. */
export function refText(ref: ObjectRef | ClusterObject): string {
  const name = "metadata" in ref ? ref.metadata.name : ref.name;
  const namespace = "metadata" in ref ? ref.metadata.namespace : ref.namespace;
  return `${ref.kind} ${namespace ? `${namespace}/` : ""}${name}`;
}
