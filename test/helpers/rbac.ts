import { readFileSync } from "node:fs";
import { inject } from "vitest";
import type { Cluster } from "../../src/runtimes/cluster/index.js";
import { send } from "../../src/runtimes/cluster/transport.js";

/** One permission as RBAC sees it: `verb group/resource[/subresource]` (core group written `core`). */
export type Permission = string;

export function permission(verb: string, group: string, resource: string): Permission {
  return `${verb} ${group === "" ? "core" : group}/${resource}`;
}

interface AuditEvent {
  auditID: string;
  verb: string;
  objectRef?: { resource?: string; subresource?: string; namespace?: string; apiGroup?: string };
  responseStatus?: { code?: number };
  annotations?: Record<string, string>;
}

/** The bed's audit log entries of the restricted account's requests in a namespace. */
export function auditedRequests(namespace: string): AuditEvent[] {
  const seen = new Set<string>();
  const events: AuditEvent[] = [];
  for (const line of readFileSync(inject("kubeAuditLog"), "utf8").split("\n")) {
    if (line === "") continue;
    const event = JSON.parse(line) as AuditEvent;
    // A watch is logged when it starts and again when it ends: one request.
    if (event.objectRef?.namespace !== namespace || seen.has(event.auditID)) continue;
    seen.add(event.auditID);
    events.push(event);
  }
  return events;
}

/**
 * What the requests needed from RBAC. A server-side apply is a `patch`; when it created the
 * object (201) the API server also checked `create`.
 */
export function neededBy(events: readonly AuditEvent[]): Set<Permission> {
  const needed = new Set<Permission>();
  for (const { verb, objectRef, responseStatus } of events) {
    if (!objectRef?.resource) continue;
    const resource = objectRef.subresource
      ? `${objectRef.resource}/${objectRef.subresource}`
      : objectRef.resource;
    needed.add(permission(verb, objectRef.apiGroup ?? "", resource));
    if (verb === "patch" && responseStatus?.code === 201) {
      needed.add(permission("create", objectRef.apiGroup ?? "", resource));
    }
  }
  return needed;
}

/** SelfSubjectAccessReview: may the cluster's identity do `verb` on the resource in `namespace` (all namespaces when absent)? */
export async function mayI(
  cluster: Cluster,
  what: { verb: string; group: string; resource: string; namespace?: string },
): Promise<boolean> {
  const [resource, subresource] = what.resource.split("/");
  const answer = await send(
    cluster.config,
    "POST",
    "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
    {
      body: {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SelfSubjectAccessReview",
        spec: {
          resourceAttributes: {
            verb: what.verb,
            group: what.group,
            resource,
            ...(subresource ? { subresource } : {}),
            ...(what.namespace ? { namespace: what.namespace } : {}),
          },
        },
      },
    },
  );
  return (answer.body as { status: { allowed: boolean } }).status.allowed;
}

/** Parses `verb group/resource` back into a review's attributes. */
export function attributesOf(p: Permission): { verb: string; group: string; resource: string } {
  const [verb = "", rest = ""] = p.split(" ");
  const [group = "", ...resource] = rest.split("/");
  return { verb, group: group === "core" ? "" : group, resource: resource.join("/") };
}

/** SelfSubjectRulesReview: every permission the cluster's identity holds in `namespace`, wildcards kept as `*`. */
export async function myPermissions(cluster: Cluster, namespace: string): Promise<Set<Permission>> {
  const answer = await send(cluster.config, "POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", {
    body: { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectRulesReview", spec: { namespace } },
  });
  const rules = (
    answer.body as {
      status: { resourceRules: { verbs: string[]; apiGroups?: string[]; resources?: string[] }[] };
    }
  ).status.resourceRules;
  const held = new Set<Permission>();
  for (const rule of rules) {
    for (const verb of rule.verbs)
      for (const group of rule.apiGroups ?? [])
        for (const resource of rule.resources ?? []) held.add(permission(verb, group, resource));
  }
  return held;
}
