import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { parse } from "yaml";

/**
 * Reads deploy/crds and checks objects against their schemas the way the API server does for
 * the parts a unit test can see: types, required fields, enums, minimums, and pruning (a field
 * the schema does not declare where unknown fields are not preserved is reported, since the
 * API server would silently drop it).
 */

export const crdDir = join(import.meta.dirname, "../../../../deploy/crds");

type Schema = Record<string, unknown>;

export interface Crd {
  file: string;
  doc: {
    apiVersion: string;
    kind: string;
    metadata: { name: string; annotations?: Record<string, string> };
    spec: {
      group: string;
      scope: string;
      names: { kind: string; plural: string; singular: string; shortNames?: string[] };
      versions: {
        name: string;
        served: boolean;
        storage: boolean;
        schema?: { openAPIV3Schema: Schema };
        subresources?: Record<string, unknown>;
      }[];
    };
  };
}

export function readCrds(): Crd[] {
  return readdirSync(crdDir)
    .filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")
    .sort()
    .map((file) => ({ file, doc: parse(readFileSync(join(crdDir, file), "utf8")) as Crd["doc"] }));
}

/**
 * Where a schema breaks the structural rules of apiextensions.k8s.io/v1: a node without a type
 * (unless it preserves unknown fields or is int-or-string), `properties` beside
 * `additionalProperties`, an array without `items`, a list-map key that is neither required nor
 * defaulted.
 */
export function structuralProblems(schema: Schema, at = ""): string[] {
  const problems: string[] = [];
  const open = schema["x-kubernetes-preserve-unknown-fields"] === true;
  const intOrString = schema["x-kubernetes-int-or-string"] === true;
  if (schema.type === undefined && !open && !intOrString) problems.push(`${at || "/"}: no type`);
  if (schema.properties && schema.additionalProperties) {
    problems.push(`${at}: both properties and additionalProperties`);
  }
  if (schema.type === "array" && schema.items === undefined) problems.push(`${at}: array without items`);
  const keys = schema["x-kubernetes-list-map-keys"] as string[] | undefined;
  const items = schema.items as Schema | undefined;
  for (const key of keys ?? []) {
    const required = (items?.required as string[] | undefined) ?? [];
    const property = (items?.properties as Record<string, Schema> | undefined)?.[key];
    if (!required.includes(key) && property?.default === undefined) {
      problems.push(`${at}: list-map key ${key} neither required nor defaulted`);
    }
  }
  for (const [name, child] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
    problems.push(...structuralProblems(child, `${at}/${name}`));
  }
  if (items) problems.push(...structuralProblems(items, `${at}/items`));
  if (typeof schema.additionalProperties === "object") {
    problems.push(...structuralProblems(schema.additionalProperties as Schema, `${at}/*`));
  }
  return problems;
}

/** The OpenAPI schema as JSON Schema for Ajv: closed where Kubernetes prunes, nullable kept. */
function asJsonSchema(schema: Schema): Schema {
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith("x-kubernetes-") || key === "format" || key === "default") continue;
    if (key === "properties") {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, Schema>).map(([k, v]) => [k, asJsonSchema(v)]),
      );
    } else if (key === "items" || (key === "additionalProperties" && typeof value === "object")) {
      out[key] = asJsonSchema(value as Schema);
    } else if (key === "anyOf") {
      out.anyOf = (value as Schema[]).map((v) => asJsonSchema(v));
    } else {
      out[key] = value;
    }
  }
  const pruned = schema.properties !== undefined && schema["x-kubernetes-preserve-unknown-fields"] !== true;
  if (pruned && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
const compiled = new Map<string, ValidateFunction>();

/** Validates an object against the schema of its CRD's version; returns the API server-style errors. */
export function crdErrors(crd: Crd, object: unknown, version?: string): string[] {
  const served =
    crd.doc.spec.versions.find((v) => v.name === (version ?? v.name)) ?? crd.doc.spec.versions[0];
  const key = `${crd.file}@${served?.name}`;
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(asJsonSchema(served?.schema?.openAPIV3Schema as Schema));
    compiled.set(key, validate);
  }
  if (validate(object)) return [];
  return (validate.errors ?? []).map(
    (e: ErrorObject) =>
      `${e.instancePath || "/"}: ${e.message}${e.params && "additionalProperty" in e.params ? ` (${String(e.params.additionalProperty)})` : ""}`,
  );
}

export function crdFor(kind: string): Crd {
  const crd = readCrds().find((c) => c.doc.spec.names.kind === kind);
  if (!crd) throw new Error(`no CRD for ${kind} in ${crdDir}`);
  return crd;
}
