import { SluiceError } from "../../errors.js";

/** What a call was doing, for the error line: `apply Deployment team-a/fraud-gateway`. */
export interface CallSite {
  verb: string;
  kind: string;
  name?: string;
  namespace?: string;
}

/** A Kubernetes `Status` body, as far as the messages below read it. */
interface Status {
  message?: string;
  reason?: string;
  details?: { causes?: { field?: string; message?: string; reason?: string }[] };
}

function describe(site: CallSite): string {
  const where = site.name ? ` ${site.namespace ? `${site.namespace}/` : ""}${site.name}` : "";
  const scope = !site.name && site.namespace ? ` in namespace ${site.namespace}` : "";
  return `${site.verb} ${site.kind}${where}${scope}`;
}

function statusOf(body: unknown): Status {
  if (typeof body === "string") {
    try {
      return JSON.parse(body) as Status;
    } catch {
      return { message: body };
    }
  }
  return typeof body === "object" && body !== null ? (body as Status) : {};
}

/** Network-level failures carry a code from node:net / undici rather than an HTTP status. */
const unreachableCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_SOCKET",
  "CERT_HAS_EXPIRED",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

function networkCode(error: unknown): string | undefined {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && unreachableCodes.has(code)) return code;
  }
  return undefined;
}

/**
 * Turns a failed call to the API server (an ApiError of transport.ts, a network error, or
 * what @kubernetes/client-node's watch throws) into one SluiceError line that says what was
 * refused and why: a 403 quotes the API server's own sentence (it names the identity, the
 * verb and the resource), a 422 names each invalid field, an unreachable server says where.
 */
export function clusterError(error: unknown, site: CallSite, server?: string): SluiceError {
  if (error instanceof SluiceError) return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "number") {
    const net = networkCode(error);
    const reason = net ?? (error instanceof Error ? error.message : String(error));
    return new SluiceError(
      "SLUICE_ERR_CLUSTER_UNREACHABLE",
      `cannot ${describe(site)}: the API server${server ? ` at ${server}` : ""} cannot be reached (${reason})`,
      { cause: error, hint: "check the kubeconfig's server address and that the cluster is up" },
    );
  }
  const status = statusOf((error as { body?: unknown }).body);
  const said = status.message ?? `HTTP ${code}`;
  if (code === 401) {
    return new SluiceError(
      "SLUICE_ERR_CLUSTER_FORBIDDEN",
      `cannot ${describe(site)}: the API server does not accept these credentials (401 Unauthorized)`,
      {
        cause: error,
        hint: "the kubeconfig's token or certificate is wrong or expired",
      },
    );
  }
  if (code === 403) {
    return new SluiceError("SLUICE_ERR_CLUSTER_FORBIDDEN", `cannot ${describe(site)}: ${said}`, {
      cause: error,
      hint: "grant the verb with a Role/ClusterRole (deploy/rbac/ has the one sluice needs)",
    });
  }
  if (code === 422 || (code === 400 && status.reason === "BadRequest")) {
    const causes = (status.details?.causes ?? [])
      .map((c) => (c.field ? `${c.field}: ${c.message ?? c.reason ?? "invalid"}` : (c.message ?? "")))
      .filter((c) => c !== "");
    const detail = causes.length > 0 ? causes.join("; ") : said;
    return new SluiceError(
      "SLUICE_ERR_CLUSTER_INVALID",
      `cannot ${describe(site)}: the API server refused it: ${detail}`,
      {
        cause: error,
      },
    );
  }
  if (code === 404) {
    // "NotServed" is ours (client.ts): discovery found no such kind, so its CRD is missing.
    const notServed = status.reason === "NotServed";
    return new SluiceError("SLUICE_ERR_CLUSTER_NOT_FOUND", `cannot ${describe(site)}: ${said}`, {
      cause: error,
      ...(notServed
        ? { hint: "is the kind's CRD installed? deploy/crds/ has the ones sluice renders for" }
        : {}),
    });
  }
  return new SluiceError("SLUICE_ERR_CLUSTER", `cannot ${describe(site)}: ${said} (HTTP ${code})`, {
    cause: error,
  });
}
